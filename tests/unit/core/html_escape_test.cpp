#include "core/html_escape.h"

#include <gtest/gtest.h>

namespace o365fwd {
namespace {

TEST(HtmlEscape, ReplacesTheFiveSpecialCharactersAndKeepsTheRest) {
  EXPECT_EQ(htmlEscape("<a href=\"x\">Tom & Jerry's</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
  EXPECT_EQ(htmlEscape("contoso — Exchange Online"), "contoso — Exchange Online");
  EXPECT_EQ(htmlEscape(""), "");
}

}  // namespace
}  // namespace o365fwd
