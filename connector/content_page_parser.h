#pragma once
// Parses one page of GET /subscriptions/content: a JSON array of
// {contentType, contentId, contentUri, contentCreated, contentExpiration}. Pure; any thread.
//
// Promises: extra fields are ignored; an item that cannot be used (not an object, a required
// field missing, empty or of the wrong type, a time that is not UTC) is never dropped silently:
// it is counted in bad_items and described in problems. A body that is not a JSON array, or an
// item of another content type (the page belongs to another stream), fails the whole page with
// ErrorKind::kCorrupt.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "connector/content_ref.h"
#include "core/result.h"

namespace o365fwd {

struct ContentPage {
  std::vector<ContentRef> refs;  // in the order of the body
  std::size_t bad_items = 0;     // items that could not be used
  // One sentence per bad item ("item 3: contentCreated \"x\" is not a UTC time"), at most
  // kMaxProblems of them; bad_items has the full count.
  std::vector<std::string> problems;
  static constexpr std::size_t kMaxProblems = 20;
};

Result<ContentPage> parseContentPage(std::string_view body, const StreamKey& stream);

}  // namespace o365fwd
