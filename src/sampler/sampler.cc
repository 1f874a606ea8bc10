#include "poolscaler/sampler/sampler.h"

#include <exception>

#include "poolscaler/common/log.h"

namespace poolscaler::sampler {

Sampler::Sampler(SampleStore& store, const Clock& clock, int threads)
    : store_(store), clock_(clock), thread_count_(threads < 1 ? 1 : threads) {}

Sampler::~Sampler() { Stop(); }

void Sampler::Start() {
  std::lock_guard lock(mu_);
  if (!threads_.empty()) return;
  stopping_ = false;
  for (int i = 0; i < thread_count_; ++i) threads_.emplace_back([this] { Run(); });
}

void Sampler::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void Sampler::Add(const std::string& key, std::shared_ptr<sources::Source> source,
                  Duration interval) {
  {
    std::lock_guard lock(mu_);
    auto [it, inserted] = entries_.try_emplace(key);
    Entry& e = it->second;
    e.source = std::move(source);
    e.interval = interval;
    if (inserted) {
      e.epoch = next_epoch_++;
      queue_.push({clock_.Now(), key, e.epoch});
    }
  }
  wake_.notify_one();
}

void Sampler::Remove(const std::string& key) {
  std::lock_guard lock(mu_);
  entries_.erase(key);  // queued items for it are skipped by epoch/lookup
}

size_t Sampler::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void Sampler::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (queue_.empty()) {
      wake_.wait(lock);
      continue;
    }
    Due due = queue_.top();
    auto it = entries_.find(due.key);
    if (it == entries_.end() || it->second.epoch != due.epoch) {
      queue_.pop();  // removed, or re-added under a new epoch
      continue;
    }
    TimePoint now = clock_.Now();
    if (due.at > now) {
      // Sleep on the steady clock until the earliest item is due, or something changes.
      wake_.wait_for(lock, due.at - now);
      continue;
    }
    queue_.pop();
    Entry& entry = it->second;
    std::shared_ptr<sources::Source> source = entry.source;
    Duration interval = entry.interval;
    uint64_t epoch = entry.epoch;
    lock.unlock();

    TimePoint start = clock_.Now();
    absl::StatusOr<sources::Reading> result;
    try {
      result = source->Sample(start + source->spec().timeout);
    } catch (const std::exception& e) {  // a Source must not throw; contain it if one does
      result = absl::InternalError(std::string("source threw: ") + e.what());
    }
    TimePoint end = clock_.Now();
    store_.Record(due.key, result, end, end - start);
    if (!result.ok()) {
      log::Debug("sample failed", {{"source", source->spec().name},
                                   {"error", std::string(result.status().message())}});
    }

    lock.lock();
    auto again = entries_.find(due.key);
    if (again != entries_.end() && again->second.epoch == epoch) {
      // Next slot: one interval after this one started; if that is already past (a slow
      // sample), sample again right away but never queue a burst of catch-up samples.
      TimePoint next = start + interval;
      queue_.push({next > end ? next : end, due.key, epoch});
      wake_.notify_one();
    }
  }
}

}  // namespace poolscaler::sampler
