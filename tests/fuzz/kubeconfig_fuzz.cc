// Fuzzes ParseKubeconfig (src/sources/kube_auth.h): the kubeconfig the kubernetes-resources and
// kubernetes-scale sources log in with. Input: the kubeconfig YAML. Relative file paths resolve
// under a directory that does not exist, so no file is read.
//
// Invariants:
//  - Never throws or crashes (yaml-cpp errors included); errors are INVALID_ARGUMENT or
//    NOT_FOUND and name the kubeconfig ("kubeconfig").
//  - An accepted config has an http(s) server without a trailing slash.
//  - A token, password or key data value never appears in a message (checked with a marker put
//    in its place).
#include <cstddef>
#include <cstdint>
#include <regex>
#include <string>

#include "fuzz_check.h"
#include "sources/kube_auth.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace poolscaler;
  if (size > 1 << 13) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string shown = text.substr(0, 400);
  absl::StatusOr<sources::KubeTarget> t =
      sources::ParseKubeconfig(text, "/nonexistent-poolscaler-fuzz", "kubeconfig");
  if (!t.ok()) {
    const absl::StatusCode code = t.status().code();
    FUZZ_CHECK(code == absl::StatusCode::kInvalidArgument || code == absl::StatusCode::kNotFound,
               t.status().ToString() + "\n" + shown);
    const std::string message(t.status().message());
    FUZZ_CHECK(fuzz::Contains(message, "kubeconfig"), message);
    // Secrets: every value written as a whole line `token: V`, `password: V` or
    // `client-key-data: V` is replaced by a marker of the same shape, which no message of the
    // parser's own can contain; the marker must not come back in that input's message.
    static const std::regex secret(
        R"re((?:^|\n)[ \t-]*(?:token|password|client-key-data)[ \t]*:[ \t]*["']?([A-Za-z0-9+/=_.-]{8,})["']?(?=\r?\n|$))re");
    constexpr char kMarker[] = "Zq8Xv3Kp7Wm2Rt9J";
    for (std::sregex_iterator it(text.begin(), text.end(), secret), end; it != end; ++it) {
      std::string other = text;
      other.replace(static_cast<size_t>(it->position(1)), static_cast<size_t>(it->length(1)),
                    kMarker);
      absl::StatusOr<sources::KubeTarget> o =
          sources::ParseKubeconfig(other, "/nonexistent-poolscaler-fuzz", "kubeconfig");
      FUZZ_CHECK(!fuzz::Contains(std::string(o.status().message()), kMarker),
                 std::string(o.status().message()) + "\n" + other.substr(0, 400));
    }
    return 0;
  }
  FUZZ_CHECK(t->server.rfind("http://", 0) == 0 || t->server.rfind("https://", 0) == 0, t->server);
  FUZZ_CHECK(t->server.back() != '/', t->server);
  return 0;
}
