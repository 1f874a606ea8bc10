#pragma once
// Pki: CAs and the certificates they sign, made with the openssl command at test time in a temp
// dir (so no key material is checked in). Failures are gtest assertion failures.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "support/temp_dir.h"

namespace poolscaler::testing {

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class Pki {
 public:
  explicit Pki(const TempDir& dir) : dir_(dir.path()) {}

  // Makes CA `name` (name.key, name.crt), subject CN=name-ca.
  void Ca(const std::string& name) {
    Run("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=" + name + "-ca -keyout " +
        Path(name + ".key") + " -out " + Path(name + ".crt"));
  }
  // Makes `name`.key/.crt with subject CN=`cn` (default: `name`) signed by `ca`; a server
  // certificate is valid for localhost and 127.0.0.1 (or the openssl subjectAltName `san`), a
  // client one for client authentication.
  void Leaf(const std::string& name, const std::string& ca, bool server, std::string cn = "",
            const std::string& san = "DNS:localhost,IP:127.0.0.1") {
    if (cn.empty()) cn = name;
    std::string ext = Path(name + ".ext");
    std::ofstream(ext) << (server ? "subjectAltName=" + san + "\nextendedKeyUsage=serverAuth\n"
                                  : std::string("extendedKeyUsage=clientAuth\n"));
    Run("openssl req -newkey rsa:2048 -nodes -subj /CN=" + cn + " -keyout " +
        Path(name + ".key") + " -out " + Path(name + ".csr"));
    Run("openssl x509 -req -days 2 -in " + Path(name + ".csr") + " -CA " + Path(ca + ".crt") +
        " -CAkey " + Path(ca + ".key") + " -CAcreateserial -extfile " + ext + " -out " +
        Path(name + ".crt"));
  }
  std::string Path(const std::string& file) const { return dir_ + "/" + file; }
  std::string Pem(const std::string& file) const { return Slurp(Path(file)); }

 private:
  static void Run(const std::string& cmd) {
    ASSERT_EQ(std::system((cmd + " >/dev/null 2>&1").c_str()), 0) << cmd;
  }
  std::string dir_;
};

}  // namespace poolscaler::testing
