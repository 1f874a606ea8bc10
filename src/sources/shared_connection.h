#pragma once
// What the Redis, NATS and AMQP connections have in common: one call at a time on a connection,
// with callers that stop waiting at their deadline (CallClaim), and one connection per identity,
// alive while some source holds it (SharedConnections).
#include <algorithm>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "poolscaler/common/time.h"

namespace poolscaler::sources {

// Serializes calls on one connection. A caller waits for the claim no longer than its deadline.
// It is a flag under a plain mutex + condition variable, not std::timed_mutex: GCC implements
// the timed lock with pthread_mutex_clocklock, which ThreadSanitizer does not see, so TSan runs
// would report every unlock as bogus and hide real races.
class CallClaim {
 public:
  // The claim, held until this is destroyed; empty (false) when the deadline came first.
  class [[nodiscard]] Held {
   public:
    Held() = default;
    explicit Held(CallClaim* claim) : claim_(claim) {}
    Held(Held&& other) noexcept : claim_(std::exchange(other.claim_, nullptr)) {}
    Held& operator=(Held&&) = delete;
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;
    ~Held() {
      if (claim_ != nullptr) claim_->Release();
    }
    explicit operator bool() const { return claim_ != nullptr; }

   private:
    CallClaim* claim_ = nullptr;
  };

  // `clock` says how long is left until a deadline.
  explicit CallClaim(const Clock& clock) : clock_(clock) {}
  CallClaim(const CallClaim&) = delete;
  CallClaim& operator=(const CallClaim&) = delete;

  // Waits until no other call holds the claim, or until `deadline`.
  Held Acquire(TimePoint deadline) {
    std::unique_lock lock(mu_);
    const Duration wait = std::max(Duration::zero(), deadline - clock_.Now());
    if (!cv_.wait_for(lock, wait, [this] { return !busy_; })) return Held();
    busy_ = true;
    return Held(this);
  }

 private:
  void Release() {
    {
      std::lock_guard lock(mu_);
      busy_ = false;
    }
    cv_.notify_one();
  }

  const Clock& clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool busy_ = false;  // guarded by mu_
};

// One Connection per identity key, alive while some source holds it. Thread-safe.
template <class Connection>
class SharedConnections {
 public:
  // The live connection for `key`, or a new one from `make()` (a std::shared_ptr<Connection>)
  // when no source holds one.
  template <class Make>
  std::shared_ptr<Connection> Get(const std::string& key, Make&& make) {
    std::lock_guard lock(mu_);
    DropExpired();
    std::weak_ptr<Connection>& slot = connections_[key];
    if (auto connection = slot.lock()) return connection;
    std::shared_ptr<Connection> connection = make();
    slot = connection;
    return connection;
  }

  // Connections alive now.
  size_t Size() {
    std::lock_guard lock(mu_);
    DropExpired();
    return connections_.size();
  }

 private:
  void DropExpired() {  // with mu_ held
    std::erase_if(connections_, [](const auto& entry) { return entry.second.expired(); });
  }

  std::mutex mu_;
  std::map<std::string, std::weak_ptr<Connection>> connections_;  // guarded by mu_
};

}  // namespace poolscaler::sources
