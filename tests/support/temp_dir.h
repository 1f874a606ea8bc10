#pragma once
// A temporary directory removed (with its files) when the object goes away.
#include <filesystem>
#include <fstream>
#include <string>

#include <stdlib.h>

namespace poolscaler::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "poolscaler-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Writes `content` to `name` inside the directory atomically (write + rename, like a
  // Kubernetes ConfigMap update) and returns the full path.
  std::string Write(const std::string& name, const std::string& content) const {
    std::string target = path_ + "/" + name;
    std::string tmp = target + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << content;
    }
    std::filesystem::rename(tmp, target);
    return target;
  }

 private:
  std::string path_;
};

}  // namespace poolscaler::testing
