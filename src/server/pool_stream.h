#pragma once
// PoolStream<Response>: a server-streaming reactor that pushes a message when a pool's state
// calls for one. `Step` turns each PoolState into "send this", "send nothing" or "end the stream
// with this status". Lifetime: the reactor deletes itself once gRPC has called OnDone and no
// PoolTable callback is still inside it (the Mailbox counts those), so a watcher firing while
// the client disconnects is safe.
#include <grpcpp/grpcpp.h>

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "poolscaler/pools/pool_table.h"
#include "poolscaler/telemetry/metrics.h"

namespace poolscaler::server {

template <typename Response>
class PoolStream final : public grpc::ServerWriteReactor<Response> {
 public:
  struct Skip {};
  // What to do with a state: send a message, skip, or finish with a status.
  using Action = std::variant<Skip, Response, grpc::Status>;
  using Step = std::function<Action(const pools::PoolState&)>;

  // Starts watching `pool_id`; `initial` (if any) is handled first. Records the RPC in
  // `metrics` when the stream ends.
  static PoolStream* Open(pools::PoolTable& table, const std::string& pool_id, Step step,
                          std::optional<pools::PoolState> initial, telemetry::Metrics& metrics,
                          telemetry::Rpc rpc) {
    auto* s = new PoolStream(table, std::move(step), metrics, rpc);
    std::shared_ptr<Mailbox> box = s->mailbox_;
    uint64_t handle = table.Watch(pool_id, [box](const pools::PoolState& st) { box->Post(st); });
    {
      std::lock_guard lock(s->mu_);
      s->handle_ = handle;
    }
    if (initial) s->mailbox_->Post(*initial);
    return s;
  }

  void OnWriteDone(bool ok) override {
    std::unique_lock lock(mu_);
    writing_ = false;
    if (!ok) {  // the client went away
      FinishLocked(lock, grpc::Status(grpc::StatusCode::CANCELLED, "client closed the stream"));
      return;
    }
    PumpLocked(lock);
  }

  void OnCancel() override {
    std::unique_lock lock(mu_);
    FinishLocked(lock, grpc::Status(grpc::StatusCode::CANCELLED, "stream cancelled"));
  }

  void OnDone() override {
    uint64_t handle;
    {
      std::lock_guard lock(mu_);
      handle = handle_;
    }
    table_.Unwatch(handle);  // no new callbacks after this returns
    std::shared_ptr<Mailbox> box = mailbox_;
    box->Release();
  }

 private:
  // Routes PoolTable callbacks into the reactor while it is alive and owns its deletion.
  struct Mailbox {
    std::mutex mu;
    PoolStream* stream = nullptr;
    int in_flight = 0;
    bool done = false;

    void Post(const pools::PoolState& st) {
      PoolStream* s;
      {
        std::lock_guard lock(mu);
        if (!stream || done) return;
        s = stream;
        ++in_flight;
      }
      s->Handle(st);
      Leave();
    }
    void Leave() {
      PoolStream* doomed = nullptr;
      {
        std::lock_guard lock(mu);
        if (--in_flight == 0 && done) doomed = std::exchange(stream, nullptr);
      }
      delete doomed;
    }
    void Release() {
      PoolStream* doomed = nullptr;
      {
        std::lock_guard lock(mu);
        done = true;
        if (in_flight == 0) doomed = std::exchange(stream, nullptr);
      }
      delete doomed;
    }
  };

  PoolStream(pools::PoolTable& table, Step step, telemetry::Metrics& metrics, telemetry::Rpc rpc)
      : table_(table), step_(std::move(step)), metrics_(metrics), rpc_(rpc),
        mailbox_(std::make_shared<Mailbox>()) {
    mailbox_->stream = this;
  }

  void Handle(const pools::PoolState& st) {
    std::unique_lock lock(mu_);
    Action a = step_(st);  // under mu_: steps may keep state between calls
    if (auto* msg = std::get_if<Response>(&a)) {
      pending_ = std::move(*msg);
      PumpLocked(lock);
    } else if (auto* status = std::get_if<grpc::Status>(&a)) {
      FinishLocked(lock, *status);
    }
  }

  // Starts a write of the pending message if none is in progress. Releases `lock` before
  // calling into gRPC, which may run reactions inline.
  void PumpLocked(std::unique_lock<std::mutex>& lock) {
    if (finished_ || writing_ || !pending_) return;
    std::string bytes = pending_->SerializeAsString();
    if (wrote_any_ && bytes == last_written_) {  // e.g. true, false, true while a write was in flight
      pending_.reset();
      return;
    }
    last_written_ = std::move(bytes);
    wrote_any_ = true;
    current_ = std::move(*pending_);
    pending_.reset();
    writing_ = true;
    lock.unlock();
    this->StartWrite(&current_);
  }

  void FinishLocked(std::unique_lock<std::mutex>& lock, const grpc::Status& status) {
    if (finished_) return;
    finished_ = true;
    lock.unlock();
    metrics_.RecordRpc(rpc_, static_cast<absl::StatusCode>(status.error_code()), 0);
    this->Finish(status);
  }

  pools::PoolTable& table_;
  Step step_;
  telemetry::Metrics& metrics_;
  telemetry::Rpc rpc_;
  std::shared_ptr<Mailbox> mailbox_;
  std::mutex mu_;
  uint64_t handle_ = 0;              // guarded by mu_
  bool writing_ = false;             // guarded by mu_
  bool finished_ = false;            // guarded by mu_
  std::optional<Response> pending_;  // guarded by mu_; the newest unsent message
  std::string last_written_;         // guarded by mu_; serialized last message sent
  bool wrote_any_ = false;           // guarded by mu_ (a `false` message serializes to "")
  Response current_;                 // owned by the write in progress
};

}  // namespace poolscaler::server
