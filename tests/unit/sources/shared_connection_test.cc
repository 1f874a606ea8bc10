// CallClaim and SharedConnections: the claim and the sharing that the Redis, NATS and AMQP
// connections are built on.
#include "shared_connection.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <thread>

#include "support/manual_clock.h"

namespace poolscaler::sources {
namespace {

using namespace std::chrono_literals;
using poolscaler::testing::ManualClock;

TEST(CallClaim, OneCallAtATime) {
  ManualClock clock;
  CallClaim claim(clock);
  {
    CallClaim::Held first = claim.Acquire(clock.Now() + 1s);
    ASSERT_TRUE(first);
    EXPECT_FALSE(claim.Acquire(clock.Now()));         // past its deadline: no wait at all
    EXPECT_FALSE(claim.Acquire(clock.Now() + 20ms));  // waits 20 ms, then gives up
    EXPECT_FALSE(claim.Acquire(clock.Now() - 1s));    // a deadline already gone
  }
  EXPECT_TRUE(claim.Acquire(clock.Now()));  // released when `first` went out of scope
}

TEST(CallClaim, AWaiterGetsTheClaimWhenTheHolderIsDone) {
  ManualClock clock;
  CallClaim claim(clock);
  std::optional<CallClaim::Held> holder;
  holder.emplace(claim.Acquire(clock.Now()));
  ASSERT_TRUE(*holder);
  std::atomic<bool> got{false};
  std::thread waiter([&] { got = static_cast<bool>(claim.Acquire(clock.Now() + 60s)); });
  holder.reset();
  waiter.join();
  EXPECT_TRUE(got);
}

TEST(CallClaim, AMovedClaimIsReleasedOnce) {
  ManualClock clock;
  CallClaim claim(clock);
  CallClaim::Held a = claim.Acquire(clock.Now());
  {
    CallClaim::Held b(std::move(a));
    EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): the moved-from claim is empty
    EXPECT_TRUE(b);
    EXPECT_FALSE(claim.Acquire(clock.Now()));
  }
  EXPECT_TRUE(claim.Acquire(clock.Now()));
}

struct FakeConnection {
  int serial = 0;
};

TEST(SharedConnections, OnePerKeyAliveWhileASourceHoldsIt) {
  SharedConnections<FakeConnection> shared;
  int made = 0;
  auto make = [&] { return std::make_shared<FakeConnection>(FakeConnection{++made}); };
  auto a1 = shared.Get("a", make);
  auto a2 = shared.Get("a", make);
  auto b = shared.Get("b", make);
  EXPECT_EQ(a1, a2);
  EXPECT_NE(a1, b);
  EXPECT_EQ(made, 2);
  EXPECT_EQ(shared.Size(), 2u);
  a1.reset();
  EXPECT_EQ(shared.Size(), 2u);  // a2 still holds "a"
  a2.reset();
  EXPECT_EQ(shared.Size(), 1u);
  // Nobody held the old "a": the next Get makes a new one.
  EXPECT_EQ(shared.Get("a", make)->serial, 3);
}

}  // namespace
}  // namespace poolscaler::sources
