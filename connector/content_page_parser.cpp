#include "connector/content_page_parser.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <optional>

#include "core/time_format.h"

namespace o365fwd {
namespace {

constexpr std::size_t kMaxQuotedChars = 120;  // keeps problem sentences readable

std::string quoted(std::string_view s) {
  if (s.size() > kMaxQuotedChars) return "\"" + std::string(s.substr(0, kMaxQuotedChars)) + "...\"";
  return "\"" + std::string(s) + "\"";
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] - 'A' + 'a') : b[i];
    if (x != y) return false;
  }
  return true;
}

// A required non-empty string member, or the reason it is not one.
std::optional<std::string_view> stringField(const rapidjson::Value& item, const char* name,
                                            std::string& why) {
  auto it = item.FindMember(name);
  if (it == item.MemberEnd() || it->value.IsNull()) {
    why = std::string(name) + " is missing";
    return std::nullopt;
  }
  if (!it->value.IsString()) {
    why = std::string(name) + " is not a string";
    return std::nullopt;
  }
  std::string_view v(it->value.GetString(), it->value.GetStringLength());
  if (v.empty()) {
    why = std::string(name) + " is empty";
    return std::nullopt;
  }
  return v;
}

std::optional<WallTime> timeField(const rapidjson::Value& item, const char* name,
                                  std::string& why) {
  auto text = stringField(item, name, why);
  if (!text) return std::nullopt;
  auto t = parseUtc(*text);
  if (!t) why = std::string(name) + " " + quoted(*text) + " is not a UTC time";
  return t;
}

// Fills `ref` from `item`; returns the reason when the item cannot be used.
std::optional<std::string> parseItem(const rapidjson::Value& item, ContentRef& ref) {
  if (!item.IsObject()) return std::string("not a JSON object");
  std::string why;
  auto id = stringField(item, "contentId", why);
  if (!id) return why;
  auto with_id = [&](const std::string& reason) {
    return reason + " (contentId " + quoted(*id) + ")";
  };
  auto uri = stringField(item, "contentUri", why);
  if (!uri) return with_id(why);
  auto created = timeField(item, "contentCreated", why);
  if (!created) return with_id(why);
  auto expiration = timeField(item, "contentExpiration", why);
  if (!expiration) return with_id(why);
  ref.content_id.assign(*id);
  ref.content_uri.assign(*uri);
  ref.created = *created;
  ref.expiration = *expiration;
  return std::nullopt;
}

}  // namespace

Result<ContentPage> parseContentPage(std::string_view body, const StreamKey& stream) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (doc.HasParseError()) {
    return Error::permanent(ErrorKind::kCorrupt,
                            "The content list for " + stream.str() + " is not valid JSON (" +
                                rapidjson::GetParseError_En(doc.GetParseError()) + " at offset " +
                                std::to_string(doc.GetErrorOffset()) +
                                "); the API or a proxy returned something else");
  }
  if (!doc.IsArray()) {
    return Error::permanent(ErrorKind::kCorrupt,
                            "The content list for " + stream.str() +
                                " is not a JSON array; the API or a proxy returned something else");
  }
  ContentPage page;
  page.refs.reserve(doc.Size());
  std::size_t index = 0;
  for (const auto& item : doc.GetArray()) {
    ++index;
    if (item.IsObject()) {
      auto ct = item.FindMember("contentType");
      if (ct != item.MemberEnd() && ct->value.IsString()) {
        std::string_view type(ct->value.GetString(), ct->value.GetStringLength());
        if (!equalsIgnoreCase(type, stream.content_type)) {
          return Error::permanent(ErrorKind::kCorrupt,
                                  "The content list for " + stream.str() + " contains item " +
                                      std::to_string(index) + " of content type " + quoted(type) +
                                      "; the API answered for another content type");
        }
      }
    }
    ContentRef ref;
    ref.stream = stream;
    if (auto why = parseItem(item, ref)) {
      ++page.bad_items;
      if (page.problems.size() < ContentPage::kMaxProblems)
        page.problems.push_back("item " + std::to_string(index) + ": " + *why);
      continue;
    }
    page.refs.push_back(std::move(ref));
  }
  return page;
}

}  // namespace o365fwd
