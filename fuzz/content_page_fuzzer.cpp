// Fuzz target: parseContentPage (connector/content_page_parser.h), one page of the content list.
// Invariants: success exactly when the body is a JSON array none of whose objects names another
// content type; then every item is either a ref (in order, of this stream, with non-empty id and
// URI and the times parseUtc gives) or counted in bad_items, and problems holds
// min(bad_items, kMaxProblems) sentences. Errors are permanent kCorrupt.
#include <rapidjson/document.h>

#include <string>

#include "connector/content_page_parser.h"
#include "core/time_format.h"
#include "fuzz/fuzz_check.h"

namespace {

using o365fwd::fuzz::equalsNoCase;

std::string_view stringOf(const rapidjson::Value& item, const char* name) {
  auto it = item.FindMember(name);
  if (it == item.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  o365fwd::fuzz::FieldReader in(data, size);
  const o365fwd::StreamKey stream{"fuzz", in.text(64)};
  const std::string_view body = in.rest();

  auto page = o365fwd::parseContentPage(body, stream);

  rapidjson::Document doc;  // the oracle; iterative so that it cannot overflow the stack itself
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  bool foreign_type = false;
  if (!doc.HasParseError() && doc.IsArray()) {
    for (const auto& item : doc.GetArray()) {
      if (!item.IsObject()) continue;
      auto ct = item.FindMember("contentType");
      if (ct != item.MemberEnd() && ct->value.IsString() &&
          !equalsNoCase(stringOf(item, "contentType"), stream.content_type))
        foreign_type = true;
    }
  }
  const bool expect_ok = !doc.HasParseError() && doc.IsArray() && !foreign_type;

  if (!page) {
    FUZZ_CHECK(!expect_ok);
    FUZZ_CHECK(page.error().kind == o365fwd::ErrorKind::kCorrupt && !page.error().retryable);
    return 0;
  }
  FUZZ_CHECK(expect_ok);
  const o365fwd::ContentPage& p = *page;
  FUZZ_CHECK(p.refs.size() + p.bad_items == doc.Size());
  FUZZ_CHECK(p.problems.size() == std::min(p.bad_items, o365fwd::ContentPage::kMaxProblems));
  for (const std::string& problem : p.problems) FUZZ_CHECK(problem.rfind("item ", 0) == 0);

  std::size_t next = 0;
  for (const auto& item : doc.GetArray()) {
    if (!item.IsObject()) continue;
    std::string_view id = stringOf(item, "contentId");
    std::string_view uri = stringOf(item, "contentUri");
    auto created = o365fwd::parseUtc(stringOf(item, "contentCreated"));
    auto expiration = o365fwd::parseUtc(stringOf(item, "contentExpiration"));
    if (id.empty() || uri.empty() || !created || !expiration) continue;  // a bad item
    FUZZ_CHECK(next < p.refs.size());
    const o365fwd::ContentRef& ref = p.refs[next++];
    FUZZ_CHECK(ref.stream == stream);
    FUZZ_CHECK(ref.content_id == id && ref.content_uri == uri);
    FUZZ_CHECK(ref.created == *created && ref.expiration == *expiration);
  }
  FUZZ_CHECK(next == p.refs.size());
  return 0;
}
