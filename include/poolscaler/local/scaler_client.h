#pragma once
// A client of poolscaler's ExternalScaler that calls it the way KEDA does: each polling interval
// GetMetricSpec, then GetMetrics with the announced metric name, then IsActive, each step tried
// once more when it fails (KEDA's scalers_cache.go rebuilds the scaler and retries once when
// GetMetricSpec fails or answers no spec, and when GetMetrics or IsActive fails); and for
// `external-push` triggers a StreamIsActive stream held open in the background.
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "poolscaler/common/time.h"
#include "poolscaler/local/keda_hpa.h"

namespace grpc {
class Channel;
class ClientContext;
}  // namespace grpc

namespace poolscaler::local {

// Which ScaledObject a call is about: KEDA sends its name, namespace and trigger metadata.
struct ScaledObjectKey {
  std::string name;
  std::string ns = "default";
  std::map<std::string, std::string> metadata;
};

// Holds StreamIsActive open for one ScaledObject on its own thread and calls `on_message` for
// every message (the first on open, then changes). A stream that ends or fails is reopened
// after 1 s. Destroying the watch cancels the stream and joins the thread; `on_message` is never
// called after that. Thread-safe.
class ActiveWatch {
 public:
  ActiveWatch(std::shared_ptr<grpc::Channel> channel, ScaledObjectKey key,
              std::function<void(bool active)> on_message);
  ~ActiveWatch();
  ActiveWatch(const ActiveWatch&) = delete;
  ActiveWatch& operator=(const ActiveWatch&) = delete;

 private:
  void Loop();

  std::shared_ptr<grpc::Channel> channel_;
  const ScaledObjectKey key_;
  const std::function<void(bool)> on_message_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;                // guarded by mu_
  grpc::ClientContext* open_ = nullptr;  // guarded by mu_: the stream being read, to cancel
  std::thread thread_;
};

// One channel to a poolscaler (plaintext: the local driver talks to 127.0.0.1). Thread-safe.
class ScalerClient {
 public:
  explicit ScalerClient(const std::string& address);
  // KEDA's poll (or its metrics server's query for the HPA); every call has deadline `timeout`,
  // so a poll that fails takes at most four of them. Never throws.
  PollResult Poll(const ScaledObjectKey& key, Duration timeout) const;
  std::unique_ptr<ActiveWatch> WatchActive(const ScaledObjectKey& key,
                                           std::function<void(bool active)> on_message) const;

 private:
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace poolscaler::local
