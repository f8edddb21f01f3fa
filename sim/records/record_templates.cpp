#include "sim/records/record_templates.h"

#include "core/time_format.h"
#include "sim/records/record_parts.h"

namespace o365fwd::sim {
namespace {

struct Kind {
  int weight;
  std::initializer_list<std::string_view> ops;
};

// Template families per content type; the index is RecordSpec::kind. Keep in step with the
// renderers in records_*.cpp.
const std::initializer_list<Kind>& kindsOf(size_t ct) {
  static const std::initializer_list<Kind> kAad = {
      {6, {"UserLoggedIn", "UserLoginFailed"}},
      {4,
       {"Add user.", "Update user.", "Reset user password.", "Add member to role.", "Delete user.",
        "Add service principal."}}};
  static const std::initializer_list<Kind> kExchange = {
      {3, {"Set-Mailbox", "New-InboxRule", "Add-MailboxPermission", "Set-TransportRule"}},
      {4, {"Create", "Update", "SoftDelete", "Send", "MoveToDeletedItems"}},
      {3, {"MailItemsAccessed"}}};
  static const std::initializer_list<Kind> kSharePoint = {
      {6,
       {"FileAccessed", "FileDownloaded", "FileUploaded", "FileModified", "FileDeleted",
        "FileRenamed"}},
      {2, {"PageViewed", "PageViewedExtended"}},
      {2, {"AddedToGroup", "SharingSet", "SharingInheritanceBroken", "AnonymousLinkCreated"}}};
  static const std::initializer_list<Kind> kGeneral = {
      {4, {"TeamCreated", "MemberAdded", "TeamsSessionStarted", "ChannelAdded"}},
      {2, {"GroupCreation", "MessageCreated"}},
      {3, {"ViewReport", "CreateArtifact", "ExportReport"}}};
  static const std::initializer_list<Kind> kDlp = {{4, {"DLPRuleMatch"}}, {4, {"DlpRuleMatch"}}};
  switch (ct) {
    case 0: return kAad;
    case 1: return kExchange;
    case 2: return kSharePoint;
    case 3: return kGeneral;
    default: return kDlp;
  }
}

}  // namespace

int pickKind(size_t ct, std::uint64_t h) {
  const auto& kinds = kindsOf(ct);
  int total = 0;
  for (const auto& k : kinds) total += k.weight;
  int r = static_cast<int>(parts::sub(h, 101) % static_cast<std::uint64_t>(total));
  int i = 0;
  for (const auto& k : kinds) {
    if (r < k.weight) return i;
    r -= k.weight;
    ++i;
  }
  return 0;
}

int pickOp(size_t ct, int kind, std::uint64_t h) {
  const auto& k = *(kindsOf(ct).begin() + kind);
  return static_cast<int>(parts::sub(h, 102) % k.ops.size());
}

std::string_view operationName(size_t ct, int kind, int op) {
  if (op == kUndoOp) return "DlpRuleUndo";
  const auto& k = *(kindsOf(ct).begin() + kind);
  return *(k.ops.begin() + op);
}

int dlpExchangeKind() {
  return 1;
}

void appendRecordId(std::string& out, const StreamInfo& stream, std::uint64_t id_seq) {
  // The low 62 bits are a bijection of the sequence number (unique within the stream); the
  // high bits only make Ids look random and differ between streams.
  appendGuid(out, hashCombine(stream.stream_hash, id_seq),
             mix62(id_seq ^ (stream.stream_hash >> 7)));
}

std::string recordId(const StreamInfo& stream, std::uint64_t id_seq) {
  std::string out;
  appendRecordId(out, stream, id_seq);
  return out;
}

void renderRecord(const RecordSpec& spec, std::string& out, std::string& scratch) {
  FieldWriter w(out, spec.reorder, scratch);
  switch (spec.stream->content_type) {
    case 0: parts::renderAzureAd(spec, w); break;
    case 1: parts::renderExchange(spec, w); break;
    case 2: parts::renderSharePoint(spec, w); break;
    case 3: parts::renderGeneral(spec, w); break;
    default: parts::renderDlp(spec, w); break;
  }
  parts::pad(spec, w);
  w.finish();
}

namespace parts {

const User& user(std::uint64_t h) {
  static const User kUsers[] = {
      {"alice", "Alice Andersen"},  {"bob", "Bob Brennan"},         {"chloe", "Chloé Dubois"},
      {"dmitri", "Дмитрий Иванов"}, {"eva", "Eva Nováková"},        {"frank", "Frank Fischer"},
      {"goran", "Goran Šimić"},     {"hanako", "山田 花子"},        {"ines", "Inês Araújo"},
      {"jonas", "Jonas Müller"},    {"kemal", "Kemal Yılmaz"},      {"lena", "Lena Øvergaard"},
      {"mateo", "Mateo García"},    {"nora", "Nora Nyström"},       {"oliver", "Oliver O'Brien"},
      {"priya", "Priya Sharma"},    {"quinn", "Quinn \"Q\" Walsh"}, {"sven", "Sven Ødegård"}};
  return kUsers[h % (sizeof kUsers / sizeof kUsers[0])];
}

std::string upn(const User& u, const StreamInfo& s) {
  std::string out(u.alias);
  out.push_back('@');
  out += s.domain;
  return out;
}

std::string guid(std::uint64_t h, std::uint64_t n) {
  std::uint64_t a = sub(h, n * 2 + 1000);
  return guidText(a, mix64(a ^ n));
}

std::string ipv4(std::uint64_t h) {
  static const char* kPrefixes[] = {"198.51.100.", "203.0.113.", "192.0.2."};
  std::string out = kPrefixes[h % 3];
  appendUint(out, 1 + (h >> 8) % 254);
  return out;
}

std::string ipv6(std::uint64_t h) {
  std::string out = "2001:db8::";
  out += hex(h, 4);
  out.push_back(':');
  out += hex(h >> 16, 4);
  for (auto& c : out) c = static_cast<char>(c >= 'A' && c <= 'F' ? c + 32 : c);
  return out;
}

std::string hex(std::uint64_t h, size_t count) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    if (i % 16 == 0 && i > 0) h = mix64(h);
    out.push_back(kHex[(h >> (4 * (i % 16))) & 15]);
  }
  return out;
}

std::string digits(std::uint64_t h, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    if (i % 16 == 0 && i > 0) h = mix64(h);
    out.push_back(static_cast<char>('0' + (h >> (4 * (i % 16))) % 10));
  }
  return out;
}

std::string isoSeconds(std::int64_t epoch_s) {
  return formatApiTime(WallTime(std::chrono::seconds(epoch_s)));
}

void commonHead(const RecordSpec& r, FieldWriter& w, std::string_view record_type_json,
                std::string_view user_key, std::string_view user_type_json,
                std::string_view workload) {
  w.str("CreationTime", isoSeconds(r.creation_s));
  std::string& id = w.key("Id");
  id.push_back('"');
  appendRecordId(id, *r.stream, r.id_seq);
  id.push_back('"');
  w.str("Operation", operationName(r.stream->content_type, r.kind, r.op));
  w.str("OrganizationId", r.stream->tenant_id);
  w.raw("RecordType", record_type_json);
  w.str("UserKey", user_key);
  w.raw("UserType", user_type_json);
  w.num("Version", 1);
  w.str("Workload", workload);
}

void pad(const RecordSpec& r, FieldWriter& w) {
  if (r.pad_to <= 0) return;
  size_t have = w.size() + 16;  // ,"SimPadding":"" and the closing brace
  if (have >= static_cast<size_t>(r.pad_to)) return;
  static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ";
  std::string& out = w.key("SimPadding");
  out.push_back('"');
  size_t n = static_cast<size_t>(r.pad_to) - have;
  std::uint64_t h = sub(r.h, 999);
  for (size_t i = 0; i < n; ++i) {
    if (i % 8 == 0) h = mix64(h + i);
    out.push_back(kAlphabet[(h >> (8 * (i % 8))) % 63]);
  }
  out.push_back('"');
}

}  // namespace parts
}  // namespace o365fwd::sim
