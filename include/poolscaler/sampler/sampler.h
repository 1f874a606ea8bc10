#pragma once
// Sampler: a fixed pool of threads that samples every registered source on its own interval and
// records results in the SampleStore. One scheduled entry per source key, so a source used by
// any number of pools or ScaledObjects costs one broker query per interval. A source is never
// sampled by two threads at once; a slow source delays only itself (and, while all threads are
// busy, sources that fall due meanwhile). The class is thread-safe.
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include "poolscaler/common/time.h"
#include "poolscaler/sampler/sample_store.h"
#include "poolscaler/sources/source.h"

namespace poolscaler::sampler {

class Sampler {
 public:
  // `store` must outlive the sampler. `clock` supplies timestamps and deadlines.
  Sampler(SampleStore& store, const Clock& clock, int threads);
  ~Sampler();  // Stop()
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  void Start();
  // Waits for in-flight samples (each bounded by its source's timeout) and joins the threads.
  void Stop();

  // Schedules `source` under `key`, first sample now. For an existing key, replaces the source
  // and interval; the next sample keeps its slot.
  void Add(const std::string& key, std::shared_ptr<sources::Source> source, Duration interval);
  void Remove(const std::string& key);
  size_t size() const;

 private:
  struct Entry {
    std::shared_ptr<sources::Source> source;
    Duration interval{};
    uint64_t epoch = 0;   // bumps on Add/Remove; stale queue items are skipped
  };
  struct Due {
    TimePoint at;
    std::string key;
    uint64_t epoch;
    bool operator>(const Due& o) const { return at > o.at; }
  };

  void Run();

  SampleStore& store_;
  const Clock& clock_;
  const int thread_count_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::map<std::string, Entry> entries_;                                   // guarded by mu_
  std::priority_queue<Due, std::vector<Due>, std::greater<Due>> queue_;    // guarded by mu_
  uint64_t next_epoch_ = 1;                                                // guarded by mu_
  bool stopping_ = false;                                                  // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace poolscaler::sampler
