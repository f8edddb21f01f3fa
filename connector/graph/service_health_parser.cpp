#include "connector/graph/service_health_parser.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "core/time_format.h"
#include "core/utf8.h"

namespace o365fwd {
namespace {

using rapidjson::Value;

Error corrupt(std::string message) {
  return Error::permanent(ErrorKind::kCorrupt, "Microsoft Graph answer: " + std::move(message),
                          "graph_corrupt");
}

std::string bounded(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  std::size_t cut = max;
  // Do not cut inside a UTF-8 sequence.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut)) + "...";
}

std::string stringMember(const Value& item, const char* name, std::size_t max) {
  auto it = item.FindMember(name);
  if (it == item.MemberEnd() || !it->value.IsString()) return {};
  return bounded(std::string_view(it->value.GetString(), it->value.GetStringLength()), max);
}

std::optional<WallTime> timeMember(const Value& item, const char* name) {
  auto it = item.FindMember(name);
  if (it == item.MemberEnd() || !it->value.IsString()) return std::nullopt;
  return parseUtc(std::string_view(it->value.GetString(), it->value.GetStringLength()));
}

// Offset just past the JSON value starting at `pos` of a valid JSON text.
std::size_t skipValue(std::string_view s, std::size_t pos) {
  auto skipWs = [&](std::size_t p) {
    while (p < s.size() && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r')) ++p;
    return p;
  };
  pos = skipWs(pos);
  if (pos >= s.size()) return pos;
  if (s[pos] == '"') {
    ++pos;
    while (pos < s.size() && s[pos] != '"') pos += s[pos] == '\\' ? 2 : 1;
    return pos + 1;
  }
  if (s[pos] == '{' || s[pos] == '[') {
    int depth = 0;
    for (; pos < s.size(); ++pos) {
      char c = s[pos];
      if (c == '"') {
        pos = skipValue(s, pos) - 1;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) return pos + 1;
      }
    }
    return pos;
  }
  while (pos < s.size() && s[pos] != ',' && s[pos] != '}' && s[pos] != ']' && s[pos] != ' ' &&
         s[pos] != '\n' && s[pos] != '\r' && s[pos] != '\t')
    ++pos;
  return pos;
}

// The raw text of each element of the top-level member `value` (the body is valid JSON).
std::vector<std::string_view> rawValueItems(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t pos = s.find('{');
  if (pos == std::string_view::npos) return out;
  ++pos;
  while (pos < s.size()) {
    while (pos < s.size() && s[pos] != '"' && s[pos] != '}') ++pos;
    if (pos >= s.size() || s[pos] == '}') break;
    std::size_t key_end = skipValue(s, pos);
    std::string_view key = s.substr(pos + 1, key_end - pos - 2);
    pos = s.find(':', key_end);
    if (pos == std::string_view::npos) break;
    ++pos;
    std::size_t value_end = skipValue(s, pos);
    if (key == "value") {
      std::size_t p = s.find('[', pos);
      ++p;
      for (;;) {
        while (p < value_end &&
               (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r' || s[p] == ','))
          ++p;
        if (p >= value_end || s[p] == ']') break;
        std::size_t end = skipValue(s, p);
        out.push_back(s.substr(p, end - p));
        p = end;
      }
      return out;
    }
    pos = value_end;
  }
  return out;
}

Result<const Value*> valueArray(rapidjson::Document& doc, std::string_view body) {
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError())
    return corrupt(std::string("not valid JSON (") +
                   rapidjson::GetParseError_En(doc.GetParseError()) + " at offset " +
                   std::to_string(doc.GetErrorOffset()) + ")");
  if (!doc.IsObject()) return corrupt("not a JSON object");
  auto value = doc.FindMember("value");
  if (value == doc.MemberEnd() || !value->value.IsArray())
    return corrupt("no `value` array (expected {\"value\": [...]})");
  return &value->value;
}

std::string nextLink(const rapidjson::Document& doc) {
  auto it = doc.FindMember("@odata.nextLink");
  if (it == doc.MemberEnd() || !it->value.IsString()) return {};
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

}  // namespace

std::string compactJson(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  bool in_string = false;
  for (std::size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < json.size()) {
        out.push_back(json[++i]);
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    if (c == '"') in_string = true;
    out.push_back(c);
  }
  return out;
}

Result<ServiceIssuePage> parseServiceIssuePage(std::string_view body) {
  rapidjson::Document doc;
  auto items = valueArray(doc, body);
  if (!items.ok()) return items.error();
  const Value& array = **items;
  std::vector<std::string_view> raws = rawValueItems(body);
  if (raws.size() != array.Size()) return corrupt("the `value` array could not be delimited");
  ServiceIssuePage page;
  page.next_link = nextLink(doc);
  auto bad = [&page](std::size_t index, const std::string& why) {
    ++page.bad_items;
    if (page.problems.size() < ServiceIssuePage::kMaxProblems)
      page.problems.push_back("item " + std::to_string(index) + ": " + why);
  };
  for (rapidjson::SizeType i = 0; i < array.Size(); ++i) {
    const Value& item = array[i];
    if (!item.IsObject()) {
      bad(i, "not an object");
      continue;
    }
    auto id = item.FindMember("id");
    if (id == item.MemberEnd() || !id->value.IsString() || id->value.GetStringLength() == 0 ||
        id->value.GetStringLength() > ServiceIssue::kMaxId) {
      bad(i, "no `id` string (1 to 128 characters)");
      continue;
    }
    auto modified = item.FindMember("lastModifiedDateTime");
    if (modified == item.MemberEnd() || !modified->value.IsString() ||
        modified->value.GetStringLength() == 0 || modified->value.GetStringLength() > 64) {
      bad(i, "no `lastModifiedDateTime` string");
      continue;
    }
    ServiceIssue issue;
    issue.id.assign(id->value.GetString(), id->value.GetStringLength());
    if (!isValidUtf8(issue.id)) {
      bad(i, "`id` is not valid UTF-8");
      continue;
    }
    issue.last_modified.assign(modified->value.GetString(), modified->value.GetStringLength());
    issue.last_modified_at = parseUtc(issue.last_modified);
    issue.title = stringMember(item, "title", ServiceIssue::kMaxText);
    issue.service = stringMember(item, "service", ServiceIssue::kMaxText);
    issue.feature = stringMember(item, "feature", ServiceIssue::kMaxText);
    issue.classification = stringMember(item, "classification", 64);
    issue.status = stringMember(item, "status", 64);
    issue.impact_description = stringMember(item, "impactDescription", ServiceIssue::kMaxText);
    auto resolved = item.FindMember("isResolved");
    issue.is_resolved =
        resolved != item.MemberEnd() && resolved->value.IsBool() && resolved->value.GetBool();
    issue.start = timeMember(item, "startDateTime");
    issue.end = timeMember(item, "endDateTime");
    auto posts = item.FindMember("posts");
    if (posts != item.MemberEnd() && posts->value.IsArray()) issue.posts = posts->value.Size();
    issue.raw = compactJson(raws[i]);
    page.issues.push_back(std::move(issue));
  }
  return page;
}

Result<ServiceOverviewPage> parseServiceOverviewPage(std::string_view body) {
  rapidjson::Document doc;
  auto items = valueArray(doc, body);
  if (!items.ok()) return items.error();
  ServiceOverviewPage page;
  page.next_link = nextLink(doc);
  for (const Value& item : (*items)->GetArray()) {
    if (!item.IsObject()) {
      ++page.bad_items;
      continue;
    }
    ServiceOverview o;
    o.id = stringMember(item, "id", ServiceIssue::kMaxId);
    o.service = stringMember(item, "service", ServiceIssue::kMaxText);
    o.status = stringMember(item, "status", 64);
    if (o.service.empty()) {
      ++page.bad_items;
      continue;
    }
    page.services.push_back(std::move(o));
  }
  return page;
}

}  // namespace o365fwd
