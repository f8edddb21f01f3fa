#include "app/status/status_page.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "app/status/status_table.h"
#include "core/redact.h"
#include "core/time_format.h"

namespace o365fwd {
namespace {

// Styles and the refresh script. The script's row builders mirror streamRow() / sinkRow() below:
// a change to one side needs the same change on the other (the unit and integration tests check
// both renderings).
constexpr std::string_view kHead = R"HTML(<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>o365fwd collection status</title>
<noscript><meta http-equiv="refresh" content="10"></noscript>
<style>
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}
h1{font-size:1.4em;margin:0 0 .3em}h2{font-size:1.1em;margin:1.4em 0 .4em}
.meta span{margin-right:1.5em}.meta b{font-weight:600}
#readiness.ready{color:#176b2c}#readiness.not-ready{color:#b3261e}
.stale{background:#b3261e;color:#fff;padding:.5em 1em;margin:.6em 0;font-weight:600}
table{border-collapse:collapse;background:#fff;font-size:.9em}
th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#eee}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr[data-state=active] td.state,tr[data-state=up] td.state{color:#176b2c;font-weight:600}
tr[data-state=starting] td.state{color:#8a6d00;font-weight:600}
tr[data-state=error] td.state,tr[data-state=down] td.state{color:#b3261e;font-weight:700}
tr[data-state=disabled] td.state{color:#666;font-weight:600}
td.lag-warning{background:#fff3cd}td.lag-critical{background:#f8d7da;font-weight:700}
td.last-success,td.error .at{white-space:nowrap}
td.error .code{font-family:monospace;font-weight:600}td.error .at{display:block;color:#777}
</style>
<script>
(function () {
  'use strict';
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function cap(s) { s = String(s); return s.charAt(0).toUpperCase() + s.slice(1); }
  function lag(s) {
    if (s === null || s === undefined) return 'n/a';
    if (s < 0) s = 0;
    if (s < 60) return s + ' s';
    if (s < 7200) return Math.floor(s / 60) + ' min';
    if (s < 172800) return Math.floor(s / 3600) + ' h';
    return Math.floor(s / 86400) + ' d';
  }
  function errorCell(e) {
    var td = el('td', 'error');
    if (e) {
      td.appendChild(el('span', 'code', e.code));
      td.appendChild(document.createTextNode(' '));
      td.appendChild(el('span', 'message', e.message));
      td.appendChild(el('span', 'at', e.at));
    }
    return td;
  }
  function streamRow(s) {
    var tr = el('tr', 'stream');
    tr.setAttribute('data-tenant', s.tenant);
    tr.setAttribute('data-content-type', s.content_type);
    tr.setAttribute('data-state', s.state);
    tr.appendChild(el('td', 'tenant', s.tenant));
    tr.appendChild(el('td', 'content-type', s.content_type));
    tr.appendChild(el('td', 'state', cap(s.state)));
    tr.appendChild(el('td', 'last-success', s.last_success || 'never'));
    tr.appendChild(el('td', 'lag lag-' + s.lag_level, lag(s.lag_seconds)));
    tr.appendChild(el('td', 'num forwarded', s.events_forwarded));
    tr.appendChild(el('td', 'num pending', s.blobs_pending));
    tr.appendChild(el('td', 'num duplicates', s.duplicates_dropped));
    tr.appendChild(el('td', 'num without-id', s.records_without_id));
    tr.appendChild(el('td', 'num invalid-utf8', s.records_invalid_utf8));
    tr.appendChild(el('td', 'num late', s.late_blobs || 0));
    tr.appendChild(errorCell(s.last_error));
    return tr;
  }
  function sinkRow(k) {
    var tr = el('tr', 'sink');
    tr.setAttribute('data-sink', k.name);
    tr.setAttribute('data-state', k.state);
    tr.appendChild(el('td', 'name', k.name));
    tr.appendChild(el('td', 'type', k.type));
    tr.appendChild(el('td', 'state', cap(k.state)));
    tr.appendChild(el('td', 'num delivered', k.delivered));
    tr.appendChild(el('td', 'num failed', k.failed));
    tr.appendChild(el('td', 'num queued', k.queued));
    tr.appendChild(errorCell(k.last_error));
    return tr;
  }
  function fill(id, items, build) {
    var body = document.getElementById(id);
    var rows = (items || []).map(build);
    while (body.firstChild) body.removeChild(body.firstChild);
    rows.forEach(function (r) { body.appendChild(r); });
  }
  function render(st) {
    var ready = document.getElementById('readiness');
    ready.textContent = st.shutting_down ? 'Shutting down' : (st.ready ? 'Ready' : 'Not ready');
    ready.className = st.ready && !st.shutting_down ? 'ready' : 'not-ready';
    document.getElementById('updated-at').textContent = st.generated_at;
    document.getElementById('started-at').textContent = st.started_at || 'n/a';
    fill('streams-body', st.streams, streamRow);
    fill('sinks-body', st.sinks, sinkRow);
    document.body.setAttribute('data-render', 'script');
  }
  function refresh() {
    fetch('status', {cache: 'no-store'})
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(function (st) { render(st); document.getElementById('stale').hidden = true; })
      .catch(function () { document.getElementById('stale').hidden = false; })
      .then(function () { setTimeout(refresh, 5000); });
  }
  document.addEventListener('DOMContentLoaded', function () { setTimeout(refresh, 5000); });
})();
</script>
)HTML";

std::string htmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// The script's lag() does the same.
std::string humanLag(const std::optional<std::int64_t>& seconds) {
  if (!seconds) return "n/a";
  std::int64_t s = *seconds < 0 ? 0 : *seconds;
  if (s < 60) return std::to_string(s) + " s";
  if (s < 7200) return std::to_string(s / 60) + " min";
  if (s < 172800) return std::to_string(s / 3600) + " h";
  return std::to_string(s / 86400) + " d";
}

std::string cell(std::string_view cls, std::string_view text) {
  return "<td class=\"" + std::string(cls) + "\">" + htmlEscape(text) + "</td>";
}

std::string errorCell(const std::optional<ErrorInfo>& error) {
  if (!error) return "<td class=\"error\"></td>";
  return "<td class=\"error\"><span class=\"code\">" + htmlEscape(error->code) +
         "</span> <span class=\"message\">" + htmlEscape(error->message) +
         "</span><span class=\"at\">" + formatIsoMillis(error->at) + "</span></td>";
}

std::string streamRow(const StreamReport& s) {
  std::string row = "<tr class=\"stream\" data-tenant=\"" + htmlEscape(s.tenant) +
                    "\" data-content-type=\"" + htmlEscape(s.content_type) + "\" data-state=\"" +
                    htmlEscape(s.state) + "\">";
  row += cell("tenant", s.tenant);
  row += cell("content-type", s.content_type);
  row += cell("state", capitalized(s.state));  // the script's cap() does the same
  row += cell("last-success", s.last_success ? formatIsoMillis(*s.last_success) : "never");
  row += cell(std::string("lag lag-") + toString(s.lag_level), humanLag(s.lag_seconds));
  row += cell("num forwarded", std::to_string(s.events_forwarded));
  row += cell("num pending", std::to_string(s.blobs_pending));
  row += cell("num duplicates", std::to_string(s.duplicates_dropped));
  row += cell("num without-id", std::to_string(s.records_without_id));
  row += cell("num invalid-utf8", std::to_string(s.records_invalid_utf8));
  row += cell("num late", std::to_string(s.late_blobs));
  row += errorCell(s.last_error);
  return row + "</tr>\n";
}

std::string sinkRow(const SinkReport& k) {
  std::string row = "<tr class=\"sink\" data-sink=\"" + htmlEscape(k.name) + "\" data-state=\"" +
                    htmlEscape(k.state) + "\">";
  row += cell("name", k.name);
  row += cell("type", k.type);
  row += cell("state", capitalized(k.state));
  row += cell("num delivered", std::to_string(k.delivered));
  row += cell("num failed", std::to_string(k.failed));
  row += cell("num queued", std::to_string(k.queued));
  row += errorCell(k.last_error);
  return row + "</tr>\n";
}

}  // namespace

std::string renderStatusPage(const StatusReport& report) {
  const bool ready = report.ready && !report.shutting_down;
  std::string page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n";
  page += kHead;
  page += "</head>\n<body data-render=\"server\">\n<h1>o365fwd collection status</h1>\n";
  page +=
      "<div class=\"meta\"><span>Version <b id=\"version\">" + htmlEscape(report.version) +
      "</b></span><span>Started at <b id=\"started-at\">" +
      (report.started_at ? formatIsoMillis(*report.started_at) : std::string("n/a")) +
      "</b></span><span>Updated at <b id=\"updated-at\">" + formatIsoMillis(report.generated_at) +
      "</b></span><span>Status <b id=\"readiness\" class=\"" + (ready ? "ready" : "not-ready") +
      "\">" + (report.shutting_down ? "Shutting down" : (report.ready ? "Ready" : "Not ready")) +
      "</b></span></div>\n";
  page += "<div id=\"stale\" class=\"stale\" hidden>connection to the forwarder lost</div>\n";
  page +=
      "<h2>Streams</h2>\n<table id=\"streams\"><thead><tr><th>Tenant</th><th>Content type</th>"
      "<th>State</th><th>Last collected</th><th>Lag</th><th>Records forwarded</th>"
      "<th>Pending blobs</th><th>Duplicates dropped</th><th>Without Id</th><th>Invalid UTF-8</th>"
      "<th>Late blobs</th><th>Last error</th></tr></thead>\n"
      "<tbody id=\"streams-body\">\n";
  for (const StreamReport& s : report.streams) page += streamRow(s);
  page +=
      "</tbody></table>\n<h2>Sinks</h2>\n<table id=\"sinks\"><thead><tr><th>Name</th>"
      "<th>Type</th><th>State</th><th>Delivered</th><th>Failed</th><th>Queued</th>"
      "<th>Last error</th></tr></thead>\n<tbody id=\"sinks-body\">\n";
  for (const SinkReport& k : report.sinks) page += sinkRow(k);
  page += "</tbody></table>\n</body>\n</html>\n";
  return redactSecrets(page);
}

}  // namespace o365fwd
