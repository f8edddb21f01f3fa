#include "app/credentials/credential_views.h"

#include "app/credentials/credential_expiry.h"
#include "app/status/status_table.h"
#include "core/html_escape.h"

namespace o365fwd {
namespace {

std::string kindText(const std::string& kind) {
  return kind == "certificate" ? "certificate" : "client secret";
}

std::string usersText(const CredentialReport& c) {
  if (c.tenants.empty()) return "no tenant";
  if (c.tenants.size() == 1) return "tenant " + c.tenants[0];
  return groupedCount(c.tenants.size()) + " tenants (" + tenantList(c.tenants, 3) + ")";
}

std::string whenText(const CredentialReport& c, WallTime now) {
  if (!c.expires_at) return "expiry unknown: " + c.problem;
  return expiryPhrase(*c.expires_at, now);
}

bool needsAction(const CredentialReport& c) {
  return c.level != "ok";
}

}  // namespace

std::string credentialText(const StatusReport& r, const std::string& tenant) {
  if (r.credentials.empty()) return "";
  if (!tenant.empty()) {
    for (const CredentialReport& c : r.credentials)
      for (const std::string& t : c.tenants)
        if (t == tenant) {
          std::string out = "\nCredential " + c.name + " (" + kindText(c.kind) + ", " +
                            usersText(c) + ") " + whenText(c, r.generated_at) + "\n";
          if (needsAction(c)) out += "  " + expiryRemedy(c.kind) + "\n";
          return out;
        }
    return "";
  }
  std::string out;
  std::size_t urgent = 0;
  for (const CredentialReport& c : r.credentials) {
    if (!needsAction(c)) continue;
    if (urgent++ == 0) out += "\nCredentials to renew:\n";
    out += "  " + c.name + " (" + kindText(c.kind) + ", " + usersText(c) + ") " +
           whenText(c, r.generated_at) + " [" + c.level + "]\n";
  }
  if (urgent > 0) out += "  What to do: " + expiryRemedy(r.credentials.front().kind) + "\n";
  const CredentialReport* next = nullptr;
  for (const CredentialReport& c : r.credentials)
    if (c.expires_at && *c.expires_at > r.generated_at) {
      next = &c;
      break;
    }
  out += (urgent ? "" : "\n") + std::string("Credentials: ") + groupedCount(r.credentials.size()) +
         " with a known expiry";
  if (next) out += "; the next is " + next->name + ", " + whenText(*next, r.generated_at);
  return out + "\n";
}

std::string credentialPageSection(const StatusReport& r) {
  if (r.credentials.empty()) return "";
  std::string out =
      "<h2>Credentials</h2>\n<table id=\"credentials\"><thead><tr><th>Credential</th>"
      "<th>Kind</th><th>Expires</th><th>State</th><th>Used by</th><th>What to do</th></tr>"
      "</thead>\n<tbody>\n";
  std::size_t rows = 0;
  for (const CredentialReport& c : r.credentials) {
    if (rows++ == kCredentialPageRows) break;
    out += "<tr class=\"credential\" data-credential=\"" + htmlEscape(c.name) + "\" data-level=\"" +
           htmlEscape(c.level) + "\"><td class=\"name\">" + htmlEscape(c.name) + "</td><td>" +
           htmlEscape(kindText(c.kind)) + "</td><td class=\"expires\">" +
           htmlEscape(whenText(c, r.generated_at)) + "</td><td class=\"level " +
           htmlEscape(c.level) + "\">" + htmlEscape(capitalized(c.level)) +
           "</td><td class=\"tenants\" data-count=\"" + std::to_string(c.tenants.size()) + "\">" +
           htmlEscape(usersText(c)) + "</td><td class=\"remedy\">" +
           (needsAction(c) ? htmlEscape(expiryRemedy(c.kind)) : "") + "</td></tr>\n";
  }
  out += "</tbody></table>\n";
  if (r.credentials.size() > kCredentialPageRows)
    out += "<p class=\"more\">" + groupedCount(r.credentials.size() - kCredentialPageRows) +
           " more credentials expire later; /status lists every one.</p>\n";
  return out;
}

std::map<std::string_view, const CredentialReport*> credentialOfTenant(const StatusReport& r) {
  std::map<std::string_view, const CredentialReport*> out;
  for (const CredentialReport& c : r.credentials)
    for (const std::string& t : c.tenants) out.emplace(t, &c);
  return out;
}

std::string credentialTenantLine(const CredentialReport& c, WallTime now) {
  return "<p class=\"credential " + htmlEscape(c.level) + "\" data-credential=\"" +
         htmlEscape(c.name) + "\">Credential " + htmlEscape(c.name) + " (" +
         htmlEscape(kindText(c.kind)) + ") " + htmlEscape(whenText(c, now)) +
         (needsAction(c) ? ": " + htmlEscape(expiryRemedy(c.kind)) : "") + "</p>\n";
}

}  // namespace o365fwd
