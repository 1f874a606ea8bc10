// ReplicaSet with real child processes (sh), and the Kubernetes-style $(VAR) expansion.
#include "poolscaler/local/replica_set.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "support/temp_dir.h"
#include "unit/config/status_matchers.h"

namespace poolscaler::local {
namespace {

using ::testing::HasSubstr;

TEST(ExpandReferencesTest, LikeKubernetes) {
  std::vector<std::pair<std::string, std::string>> env = {
      {"A", "1"}, {"POD_NAME", "w-3"}, {"A", "2"}};
  EXPECT_EQ(ExpandReferences("--name=$(POD_NAME)", env), "--name=w-3");
  EXPECT_EQ(ExpandReferences("$(A)$(A)", env), "22");                // the last definition wins
  EXPECT_EQ(ExpandReferences("$(MISSING)/x", env), "$(MISSING)/x");  // unknown: left as written
  EXPECT_EQ(ExpandReferences("$$(A)", env), "$(A)");                 // escaped
  EXPECT_EQ(ExpandReferences("$(A", env), "$(A");
  EXPECT_EQ(ExpandReferences("${A}", env), "${A}");  // not Kubernetes syntax
}

TEST(FindExecutableTest, SearchesThePath) {
  EXPECT_THAT(FindExecutable("sh", "/nonexistent:/bin:/usr/bin"),
              ::testing::AnyOf("/bin/sh", "/usr/bin/sh"));
  EXPECT_EQ(*FindExecutable("/bin/sh", ""), "/bin/sh");
  absl::StatusOr<std::string> missing = FindExecutable("no-such-worker", "/bin");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("\"no-such-worker\" is not in PATH (\"/bin\")"));
}

// A workload of `sh -c SCRIPT` with its logs in a temporary directory.
class ReplicaSetTest : public ::testing::Test {
 protected:
  std::unique_ptr<ReplicaSet> Make(const std::string& script,
                                   Duration grace = std::chrono::seconds(5)) {
    config::LocalWorkload w;
    w.deployment = "w";
    w.argv = {"sh", "-c", script};
    w.env = {{"MARK", "$(POD_NAME)-ok"}};
    w.termination_grace = grace;
    absl::StatusOr<std::unique_ptr<ReplicaSet>> rs = ReplicaSet::Create(w, dir_.path());
    EXPECT_TRUE(rs.ok()) << rs.status();
    return rs.ok() ? std::move(*rs) : nullptr;
  }
  // Ticks until `done` or 10 s.
  bool TickUntil(ReplicaSet& rs, const std::function<bool()>& done) {
    for (int i = 0; i < 500 && !done(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      rs.Tick(SteadyClock::now());
    }
    return done();
  }
  std::string Log(const std::string& pod) {
    std::ifstream in(dir_.path() + "/" + pod + ".log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  testing::TempDir dir_;
};

// Exits 0 on SIGTERM; prints its name and expanded env first.
constexpr char kPolite[] = "echo $POD_NAME $MARK; trap 'exit 0' TERM; while :; do sleep 0.05; done";

TEST_F(ReplicaSetTest, StartsStopsNewestFirstAndCounts) {
  auto rs = Make(kPolite);
  ASSERT_NE(rs, nullptr);
  rs->ScaleTo(3, SteadyClock::now());
  EXPECT_EQ(rs->running(), 3);
  EXPECT_TRUE(TickUntil(*rs, [&] { return Log("w-3").find("w-3 w-3-ok") != std::string::npos; }));
  rs->ScaleTo(1, SteadyClock::now());
  EXPECT_EQ(rs->running(), 1);
  EXPECT_EQ(rs->terminating(), 2);
  EXPECT_TRUE(TickUntil(*rs, [&] { return rs->terminating() == 0; }));
  EXPECT_EQ(rs->counts().stopped_clean, 2);
  rs->StopAll();
  EXPECT_EQ(rs->counts().started, 3);
  EXPECT_EQ(rs->counts().stopped_clean, 3);
  EXPECT_EQ(rs->counts().killed, 0);
  EXPECT_THAT(Log("w-1"), HasSubstr("w-1 w-1-ok"));  // w-1, the oldest, was kept the longest
}

TEST_F(ReplicaSetTest, AWorkerIgnoringSigtermIsKilledAfterTheGracePeriod) {
  auto rs = Make("trap '' TERM; while :; do sleep 0.05; done", std::chrono::milliseconds(300));
  ASSERT_NE(rs, nullptr);
  rs->ScaleTo(1, SteadyClock::now());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let sh set its trap
  rs->ScaleTo(0, SteadyClock::now());
  EXPECT_TRUE(TickUntil(*rs, [&] { return rs->terminating() == 0; }));
  EXPECT_EQ(rs->counts().killed, 1);
  EXPECT_THAT(rs->TakeEvents(),
              ::testing::Contains(HasSubstr("w-1 killed: still running 0.3 s after SIGTERM")));
}

TEST_F(ReplicaSetTest, AWorkerThatExitsUnaskedIsReplacedAfterABackoff) {
  auto rs = Make("exit 3");
  ASSERT_NE(rs, nullptr);
  TimePoint start = SteadyClock::now();
  rs->ScaleTo(1, start);
  EXPECT_TRUE(TickUntil(*rs, [&] { return rs->counts().crashed == 1; }));
  EXPECT_EQ(rs->running(), 0);  // not restarted at once: 1 s back-off
  EXPECT_THAT(rs->TakeEvents(), ::testing::Contains(HasSubstr("w-1 exited 3 unasked")));
  EXPECT_TRUE(TickUntil(*rs, [&] { return rs->counts().started == 2; }));
  EXPECT_GE(SteadyClock::now() - start, std::chrono::seconds(1));
  rs->ScaleTo(0, SteadyClock::now());
  rs->StopAll();
}

TEST_F(ReplicaSetTest, ACommandNotInPathIsAnError) {
  config::LocalWorkload w;
  w.deployment = "ghost";
  w.argv = {"no-such-worker-binary"};
  absl::StatusOr<std::unique_ptr<ReplicaSet>> rs = ReplicaSet::Create(w, dir_.path());
  EXPECT_EQ(rs.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(rs.status().message()),
              HasSubstr("Deployment ghost: command \"no-such-worker-binary\""));
}

}  // namespace
}  // namespace poolscaler::local
