// The pure parts of validate's "filters" check: which blobs of a listing page it samples, and the
// line it prints.
#include "app/validate/validate_filters.h"

#include <gtest/gtest.h>

namespace o365fwd {
namespace {

TEST(ValidateFilters, SamplesAtMostMaxContentUrisOfAListingPage) {
  std::string page =
      R"([{"contentType":"Audit.Exchange","contentId":"a","contentUri":"https://x/a"},
    {"contentId":"no-uri"},
    {"contentUri":"https://x/b"}, {"contentUri":"https://x/c"}])";
  EXPECT_EQ(sampleContentUris(page, 2), (std::vector<std::string>{"https://x/a", "https://x/b"}));
  EXPECT_EQ(sampleContentUris(page, 10).size(), 3u);
  EXPECT_TRUE(sampleContentUris("not json", 5).empty());
  EXPECT_TRUE(sampleContentUris("[]", 5).empty());
}

TEST(ValidateFilters, DetailSaysHowManyRecordsWouldBeForwarded) {
  EXPECT_EQ(filterSampleDetail(8200, 10000, 12, 0),
            "would forward 8,200 of 10,000 records (82 %) in a sample of 12 blobs of the last "
            "hour");
  EXPECT_EQ(filterSampleDetail(0, 0, 1, 2),
            "would forward 0 of 0 records in a sample of 1 blob of the last hour; 2 more could "
            "not be downloaded or parsed");
}

}  // namespace
}  // namespace o365fwd
