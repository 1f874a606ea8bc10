#pragma once
// Polling helpers for tests that wait on real servers: bounded, never sleep-and-hope.
#include <chrono>
#include <functional>
#include <thread>

namespace poolscaler::testing {

// Calls `pred` every `step` until it returns true or `timeout` passes; returns the last result.
inline bool Eventually(const std::function<bool()>& pred,
                       std::chrono::milliseconds timeout = std::chrono::seconds(5),
                       std::chrono::milliseconds step = std::chrono::milliseconds(25)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(step);
  }
}

}  // namespace poolscaler::testing
