#include "tests/support/ledger.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "tests/support/process.h"

namespace o365fwd::testing {
namespace {

std::string member(const rapidjson::Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) return {};
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

Result<RecordKey> keyOf(const rapidjson::Value& record, size_t index) {
  if (!record.IsObject())
    return Error::permanent(ErrorKind::kCorrupt,
                            "record " + std::to_string(index) + " is not a JSON object");
  RecordKey key{member(record, "OrganizationId"), member(record, "Id"),
                member(record, "Operation")};
  if (key.id.empty())
    return Error::permanent(ErrorKind::kCorrupt,
                            "record " + std::to_string(index) + " has no string Id");
  return key;
}

template <typename Fn>
Status forEachLine(std::string_view text, Fn&& fn) {
  size_t pos = 0, line_no = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    rapidjson::Document doc;
    doc.Parse(line.data(), line.size());
    if (doc.HasParseError())
      return Error::permanent(ErrorKind::kCorrupt,
                              "line " + std::to_string(line_no) + " is not valid JSON");
    Status s = fn(doc, line_no);
    if (!s.ok()) return s;
  }
  return okStatus();
}

}  // namespace

Result<std::vector<LedgerEntry>> parseLedger(std::string_view ndjson) {
  std::vector<LedgerEntry> out;
  Status s = forEachLine(ndjson, [&](const rapidjson::Document& doc, size_t line_no) -> Status {
    if (!doc.IsObject())
      return Error::permanent(ErrorKind::kCorrupt,
                              "ledger line " + std::to_string(line_no) + " is not an object");
    LedgerEntry e{member(doc, "tenant"), member(doc, "content_type"), member(doc, "id"),
                  member(doc, "operation"), member(doc, "fate")};
    if (e.tenant.empty() || e.id.empty() || e.fate.empty())
      return Error::permanent(ErrorKind::kCorrupt,
                              "ledger line " + std::to_string(line_no) + " lacks tenant/id/fate");
    out.push_back(std::move(e));
    return okStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<LedgerEntry>> readLedgerFile(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return Error::permanent(ErrorKind::kIo, "ledger file " + path.string() + " does not exist");
  return parseLedger(readFile(path));
}

Result<std::vector<RecordKey>> recordKeysFromNdjson(std::string_view ndjson) {
  std::vector<RecordKey> out;
  Status s = forEachLine(ndjson, [&](const rapidjson::Document& doc, size_t line_no) -> Status {
    auto key = keyOf(doc, line_no);
    if (!key.ok()) return key.error();
    out.push_back(std::move(key.value()));
    return okStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<RecordKey>> recordKeysFromJsonArray(std::string_view json_array) {
  rapidjson::Document doc;
  doc.Parse(json_array.data(), json_array.size());
  if (doc.HasParseError() || !doc.IsArray())
    return Error::permanent(ErrorKind::kCorrupt, "body is not a JSON array");
  std::vector<RecordKey> out;
  size_t i = 0;
  for (const auto& rec : doc.GetArray()) {
    auto key = keyOf(rec, i++);
    if (!key.ok()) return key.error();
    out.push_back(std::move(key.value()));
  }
  return out;
}

DeliveryCheck checkDelivery(const std::vector<LedgerEntry>& ledger,
                            const std::vector<RecordKey>& delivered,
                            const std::vector<std::string>& tenants,
                            const std::vector<std::string>& content_types) {
  auto wanted = [](const std::vector<std::string>& filter, const std::string& v) {
    return filter.empty() || std::find(filter.begin(), filter.end(), v) != filter.end();
  };
  std::set<RecordKey> expected;
  for (const auto& e : ledger) {
    if (e.deliverable() && wanted(tenants, e.tenant) && wanted(content_types, e.content_type))
      expected.insert(RecordKey{e.tenant, e.id, e.operation});
  }
  std::map<RecordKey, size_t> counts;
  for (const auto& k : delivered) ++counts[k];
  DeliveryCheck check;
  check.expected = expected.size();
  check.delivered = delivered.size();
  for (const auto& k : expected) {
    if (counts.find(k) == counts.end()) check.missing.push_back(k);
  }
  for (const auto& [k, n] : counts) {
    if (n > 1) check.duplicated.push_back(k);
    if (expected.find(k) == expected.end()) check.unexpected.push_back(k);
  }
  return check;
}

std::string DeliveryCheck::summary(size_t max_items) const {
  std::string s = "expected=" + std::to_string(expected) +
                  " delivered=" + std::to_string(delivered) +
                  " missing=" + std::to_string(missing.size()) +
                  " duplicated=" + std::to_string(duplicated.size()) +
                  " unexpected=" + std::to_string(unexpected.size());
  auto list = [&](const char* what, const std::vector<RecordKey>& keys) {
    if (keys.empty()) return;
    s += std::string("; first ") + what + ":";
    for (size_t i = 0; i < keys.size() && i < max_items; ++i) s += " " + keys[i].str();
  };
  list("missing", missing);
  list("duplicated", duplicated);
  list("unexpected", unexpected);
  return s;
}

}  // namespace o365fwd::testing
