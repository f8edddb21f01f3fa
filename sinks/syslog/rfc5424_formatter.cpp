#include "sinks/syslog/rfc5424_formatter.h"

#include "core/config/config.h"
#include "core/time_format.h"

namespace o365fwd {

void appendSdValue(std::string_view value, std::string& out) {
  for (char c : value) {
    if (c == '"' || c == '\\' || c == ']') out.push_back('\\');
    out.push_back(c);
  }
}

std::string rfc5424Timestamp(WallTime time) {
  std::string text = formatIsoMicros(time);  // "YYYY-MM-DDThh:mm:ss.uuuuuuZ"
  const std::string_view zero = ".000000Z";
  if (text.size() > zero.size() && text.compare(text.size() - zero.size(), zero.size(), zero) == 0)
    text.replace(text.size() - zero.size(), zero.size(), "Z");
  return text;
}

namespace {

void appendParam(std::string_view name, std::string_view value, std::string& out) {
  if (value.empty()) return;
  out.push_back(' ');
  out.append(name);
  out.append("=\"");
  appendSdValue(value, out);
  out.push_back('"');
}

}  // namespace

void appendRfc5424(const SyslogIdentity& identity, const RecordBatch& batch, std::size_t index,
                   std::string& out) {
  const RecordMeta& meta = batch.records[index];
  out.push_back('<');
  out.append(std::to_string(identity.pri));
  out.append(">1 ");
  if (meta.creation_time)
    out.append(rfc5424Timestamp(*meta.creation_time));
  else
    out.push_back('-');
  out.push_back(' ');
  out.append(identity.hostname);
  out.push_back(' ');
  out.append(identity.app_name);
  out.push_back(' ');
  out.append(identity.procid);
  out.push_back(' ');
  out.append(headerField(batch.content.stream.content_type, kMaxMsgId));
  out.append(" [");
  out.append(identity.sd_id);
  appendParam("tenant", batch.content.stream.tenant, out);
  appendParam("contentType", batch.content.stream.content_type, out);
  if (batch.content.stream.content_type == kServiceHealthContentType) {
    // A Microsoft 365 service health issue (docs/SYSLOG.md): its own parameters.
    appendParam("issueId", batch.id(index), out);
    appendParam("service", batch.workload(index), out);
    appendParam("classification", batch.recordType(index), out);
    appendParam("lastModified", batch.operation(index), out);
  } else {
    appendParam("recordType", batch.recordType(index), out);
    appendParam("operation", batch.operation(index), out);
    appendParam("id", batch.id(index), out);
  }
  appendParam("contentId", batch.content.content_id, out);
  out.append("] ");
  out.append(batch.raw(index));
}

}  // namespace o365fwd
