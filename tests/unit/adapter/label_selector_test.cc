// Label selectors as the HPA sends them: every operator, blanks, canonical text, matching, and
// errors that name the offset and the text.
#include "poolscaler/adapter/label_selector.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace poolscaler::adapter {
namespace {

using ::testing::HasSubstr;
using Op = Requirement::Op;

LabelSelector Parsed(const char* text) {
  absl::StatusOr<LabelSelector> s = LabelSelector::Parse(text);
  EXPECT_TRUE(s.ok()) << text << ": " << s.status();
  return s.ok() ? *s : LabelSelector();
}

TEST(LabelSelectorTest, ParsesEveryOperator) {
  struct Case {
    const char* text;
    Requirement want;
  };
  const Case kCases[] = {
      {"pool=workers", {"pool", Op::kEquals, {"workers"}}},
      {"pool==workers", {"pool", Op::kEquals, {"workers"}}},
      {"pool!=workers", {"pool", Op::kNotEquals, {"workers"}}},
      {"pool in (b,a,b)", {"pool", Op::kIn, {"a", "b"}}},
      {"pool notin (a)", {"pool", Op::kNotIn, {"a"}}},
      {"pool", {"pool", Op::kExists, {}}},
      {"!pool", {"pool", Op::kDoesNotExist, {}}},
      {"pool=", {"pool", Op::kEquals, {""}}},
      {"pool in ()", {"pool", Op::kIn, {""}}},
      {"pool in (a,)", {"pool", Op::kIn, {"", "a"}}},
      {"  pool  =  workers  ", {"pool", Op::kEquals, {"workers"}}},
      {"app.kubernetes.io/name=poolscaler",
       {"app.kubernetes.io/name", Op::kEquals, {"poolscaler"}}},
      {"pool=a-b_c.9", {"pool", Op::kEquals, {"a-b_c.9"}}},
      {"pool=in", {"pool", Op::kEquals, {"in"}}},  // a keyword is a fine value
  };
  for (const Case& c : kCases) {
    LabelSelector s = Parsed(c.text);
    ASSERT_EQ(s.requirements().size(), 1u) << c.text;
    EXPECT_EQ(s.requirements()[0], c.want) << c.text;
  }
}

TEST(LabelSelectorTest, EmptySelectsEverything) {
  EXPECT_TRUE(Parsed("").empty());
  EXPECT_TRUE(Parsed("  ").empty());
  EXPECT_TRUE(Parsed("").Matches({{"pool", "x"}}));
}

TEST(LabelSelectorTest, SeveralRequirementsSortedByKeyWithCanonicalText) {
  LabelSelector s = Parsed("source=orders, measure in (pending,outstanding),!gpu,tier");
  EXPECT_EQ(s.ToString(), "!gpu,measure in (outstanding,pending),source=orders,tier");
  absl::StatusOr<LabelSelector> again = LabelSelector::Parse(s.ToString());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->requirements(), s.requirements());
}

TEST(LabelSelectorTest, Matches) {
  const std::map<std::string, std::string> labels = {{"source", "orders"}, {"measure", "pending"}};
  EXPECT_TRUE(Parsed("source=orders").Matches(labels));
  EXPECT_TRUE(Parsed("source=orders,measure in (pending,x)").Matches(labels));
  EXPECT_FALSE(Parsed("source=orders,measure=length").Matches(labels));
  EXPECT_TRUE(Parsed("source!=jobs").Matches(labels));
  EXPECT_TRUE(Parsed("pool!=jobs").Matches(labels));  // absent label: != holds
  EXPECT_FALSE(Parsed("measure notin (pending)").Matches(labels));
  EXPECT_TRUE(Parsed("tier notin (pending)").Matches(labels));
  EXPECT_TRUE(Parsed("measure").Matches(labels));
  EXPECT_FALSE(Parsed("!measure").Matches(labels));
  EXPECT_FALSE(Parsed("pool").Matches(labels));
}

TEST(LabelSelectorTest, ErrorsNameTheProblemOffsetAndText) {
  struct Bad {
    const char* text;
    const char* why;
  };
  const Bad kBad[] = {
      {"pool=a,", "expected a label key, found the end at offset 7"},
      {",pool=a", "expected a label key, found \",\" at offset 0"},
      {"pool=a b", "expected \",\" or the end, found \"b\" at offset 7"},
      {"pool=a=b", "expected \",\" or the end, found \"=\""},
      {"pool in a", "expected \"(\" after in, found \"a\""},
      {"pool in (a", "expected \",\" or \")\", found the end"},
      {"pool in (a b)", "expected \",\" or \")\", found \"b\""},
      {"pool>3", "the operators < and > are not supported"},
      {"pool is x", "expected =, ==, !=, in or notin after \"pool\", found \"is\""},
      {"-pool=a", "\"-pool\" is not a valid label key"},
      {"Bad/pool=a", "\"Bad/pool\" is not a valid label key"},
      {"a/b/c=a", "\"a/b/c\" is not a valid label key"},
      {"pool=-a", "\"-a\" is not a valid label value"},
      {"pool=a/b", "\"a/b\" is not a valid label value"},
      {"in=a", "expected a label key, found the operator \"in\""},
      {"!=a", "expected a label key, found \"!\""},
      {"!pool=a", "expected \",\" or the end, found \"=\""},
      {"pool=0123456789012345678901234567890123456789012345678901234567890123",
       "is not a valid label value"},
  };
  for (const Bad& b : kBad) {
    absl::StatusOr<LabelSelector> s = LabelSelector::Parse(b.text);
    ASSERT_FALSE(s.ok()) << b.text;
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << b.text;
    std::string message(s.status().message());
    EXPECT_THAT(message, HasSubstr("labelSelector: ")) << b.text;
    EXPECT_THAT(message, HasSubstr(b.why)) << b.text;
    EXPECT_THAT(message, HasSubstr(std::string("(value \""))) << b.text;
  }
  EXPECT_THAT(std::string(LabelSelector::Parse(std::string(5000, 'a')).status().message()),
              HasSubstr("longer than 4096 characters"));
}

TEST(LabelSelectorTest, KeysAndValues) {
  EXPECT_TRUE(IsLabelKey("pool"));
  EXPECT_TRUE(IsLabelKey("example.com/pool"));
  EXPECT_TRUE(IsLabelKey(std::string(63, 'a')));
  EXPECT_FALSE(IsLabelKey(std::string(64, 'a')));
  EXPECT_FALSE(IsLabelKey("/pool"));
  EXPECT_FALSE(IsLabelKey("example.com/"));
  EXPECT_FALSE(IsLabelKey(""));
  EXPECT_TRUE(IsLabelValue(""));
  EXPECT_TRUE(IsLabelValue("A.b-c_9"));
  EXPECT_FALSE(IsLabelValue("a."));
  EXPECT_FALSE(IsLabelValue("ü"));
}

}  // namespace
}  // namespace poolscaler::adapter
