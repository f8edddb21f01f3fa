// Fuzz target: the RFC 5424 formatter (sinks/syslog/rfc5424_formatter.h) and the header field
// sanitisers (sinks/syslog/syslog_message.h).
// Invariants: headerField/sdName return 1..max printable ASCII bytes (sdName without = ] ");
// the message re-parses with a strict RFC 5424 reader: PRI, version 1, the timestamp (which
// parseUtc reads back to the record's time, to the microsecond), the identity fields, MSGID =
// the sanitised content type, one SD element whose parameters, once unescaped, are exactly the
// non-empty values in the documented order (so '"', '\' and ']' were escaped), and MSG = the raw
// record byte for byte; the length is the sum of those parts (no growth beyond 2x per SD value).
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "core/time_format.h"
#include "fuzz/fuzz_check.h"
#include "sinks/syslog/rfc5424_formatter.h"

namespace {

using o365fwd::fuzz::FieldReader;

bool printable(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) < 33 || static_cast<unsigned char>(c) > 126) return false;
  return true;
}

void checkHeaderField(const std::string& field, std::size_t max) {
  FUZZ_CHECK(!field.empty() && field.size() <= max && printable(field));
}

// A strict reader of what appendRfc5424 writes; returns false at the first deviation.
class Reader {
 public:
  explicit Reader(std::string_view text) : s_(text) {}

  bool lit(std::string_view what) {
    if (s_.substr(pos_, what.size()) != what) return false;
    pos_ += what.size();
    return true;
  }
  // A header token: up to the next space (not consumed).
  std::string_view token() {
    std::size_t end = s_.find(' ', pos_);
    if (end == std::string_view::npos) end = s_.size();
    std::string_view t = s_.substr(pos_, end - pos_);
    pos_ = end;
    return t;
  }
  // NAME="VALUE" with the value unescaped; false when malformed.
  bool param(std::string& name, std::string& value) {
    std::size_t eq = s_.find('=', pos_);
    if (eq == std::string_view::npos) return false;
    name = std::string(s_.substr(pos_, eq - pos_));
    pos_ = eq + 1;
    if (!lit("\"")) return false;
    value.clear();
    while (pos_ < s_.size()) {
      char c = s_[pos_++];
      if (c == '"') return true;
      if (c == ']') return false;  // an unescaped ']' inside a value
      if (c == '\\') {
        if (pos_ >= s_.size()) return false;
        char e = s_[pos_++];
        if (e != '"' && e != '\\' && e != ']') return false;  // the formatter escapes only these
        c = e;
      }
      value.push_back(c);
    }
    return false;
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  std::string_view rest() const { return s_.substr(pos_); }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FieldReader in(data, size);
  o365fwd::SyslogIdentity identity;
  identity.pri = in.byte() % 192;
  identity.hostname = o365fwd::headerField(in.text(300), o365fwd::kMaxHostname);
  identity.app_name = o365fwd::headerField(in.text(64), o365fwd::kMaxAppName);
  identity.procid = o365fwd::headerField(in.text(160), o365fwd::kMaxProcId);
  identity.sd_id = o365fwd::sdName(in.text(64));
  checkHeaderField(identity.hostname, o365fwd::kMaxHostname);
  checkHeaderField(identity.app_name, o365fwd::kMaxAppName);
  checkHeaderField(identity.procid, o365fwd::kMaxProcId);
  checkHeaderField(identity.sd_id, o365fwd::kMaxSdName);
  FUZZ_CHECK(identity.sd_id.find_first_of("=]\"") == std::string::npos);

  o365fwd::RecordBatch batch;
  batch.content.stream.tenant = in.text(64);
  batch.content.stream.content_type = in.text(64);
  batch.content.content_id = in.text(128);
  o365fwd::RecordMeta meta;
  auto arena = [&](std::string value) {
    o365fwd::Span span{static_cast<std::uint32_t>(batch.arena.size()),
                       static_cast<std::uint32_t>(value.size())};
    batch.arena += value;
    return span;
  };
  meta.record_type = arena(in.text(16));
  meta.operation = arena(in.text(64));
  meta.id = arena(in.text(64));
  meta.workload = arena(in.text(32));
  // CreationTime: none, or seconds since 1970 (up to 2106) and microseconds from four+three bytes.
  if (std::uint8_t t = in.byte(); t & 1) {
    std::uint64_t secs = 0, micros = 0;
    for (int i = 0; i < 4; ++i) secs = secs << 8 | in.byte();
    for (int i = 0; i < 3; ++i) micros = micros << 8 | in.byte();
    micros %= 1'000'000;
    if (t & 2) micros = 0;  // whole seconds: the timestamp has no fraction
    meta.creation_time =
        o365fwd::WallTime(std::chrono::seconds(secs)) + std::chrono::microseconds(micros);
  }
  std::string_view raw = in.rest();
  batch.body.assign(raw);
  meta.raw = {0, static_cast<std::uint32_t>(raw.size())};
  batch.records.push_back(meta);

  std::string out = "prefix kept";
  o365fwd::appendRfc5424(identity, batch, 0, out);
  FUZZ_CHECK(out.rfind("prefix kept", 0) == 0);
  const std::string_view message = std::string_view(out).substr(11);

  Reader r(message);
  FUZZ_CHECK(r.lit("<" + std::to_string(identity.pri) + ">1 "));
  std::string_view timestamp = r.token();
  if (meta.creation_time) {
    FUZZ_CHECK(timestamp == o365fwd::rfc5424Timestamp(*meta.creation_time));
    auto back = o365fwd::parseUtc(timestamp);
    FUZZ_CHECK(back && *back == *meta.creation_time);
    FUZZ_CHECK((timestamp.find('.') != std::string_view::npos) ==
               (meta.creation_time->time_since_epoch() % std::chrono::seconds(1) !=
                std::chrono::seconds(0)));
  } else {
    FUZZ_CHECK(timestamp == "-");
  }
  FUZZ_CHECK(r.lit(" ") && r.token() == identity.hostname);
  FUZZ_CHECK(r.lit(" ") && r.token() == identity.app_name);
  FUZZ_CHECK(r.lit(" ") && r.token() == identity.procid);
  FUZZ_CHECK(r.lit(" "));
  std::string_view msgid = r.token();
  checkHeaderField(std::string(msgid), o365fwd::kMaxMsgId);
  FUZZ_CHECK(msgid == o365fwd::headerField(batch.content.stream.content_type, o365fwd::kMaxMsgId));
  FUZZ_CHECK(r.lit(" [") && r.lit(identity.sd_id));

  const std::vector<std::pair<std::string, std::string_view>> expected_all = {
      {"tenant", batch.content.stream.tenant},
      {"contentType", batch.content.stream.content_type},
      {"recordType", batch.recordType(0)},
      {"operation", batch.operation(0)},
      {"id", batch.id(0)},
      {"contentId", batch.content.content_id}};
  std::size_t expected_size = message.size() - raw.size();  // checked against the parts below
  std::size_t parts_size = 0;
  for (const auto& [name, value] : expected_all) {
    if (value.empty()) continue;
    FUZZ_CHECK(r.lit(" "));
    std::string got_name, got_value;
    FUZZ_CHECK(r.param(got_name, got_value));
    FUZZ_CHECK(got_name == name && got_value == value);
    parts_size += 1 + name.size() + 3 + value.size();  // escapes counted below
    for (char c : value) parts_size += (c == '"' || c == '\\' || c == ']') ? 1 : 0;
  }
  FUZZ_CHECK(r.lit("] "));
  FUZZ_CHECK(r.rest() == raw);
  // <PRI>1 TS HOST APP PROCID MSGID [SDID params] = fixed separators plus the parts.
  const std::size_t header_size = 1 + std::to_string(identity.pri).size() + 3 + timestamp.size() +
                                  1 + identity.hostname.size() + 1 + identity.app_name.size() + 1 +
                                  identity.procid.size() + 1 + msgid.size() + 2 +
                                  identity.sd_id.size() + parts_size + 2;
  FUZZ_CHECK(expected_size == header_size);

  // appendSdValue on its own: only the three characters gain a backslash.
  std::string escaped;
  o365fwd::appendSdValue(raw, escaped);
  std::size_t specials = 0;
  for (char c : raw) specials += (c == '"' || c == '\\' || c == ']') ? 1 : 0;
  FUZZ_CHECK(escaped.size() == raw.size() + specials);
  return 0;
}
