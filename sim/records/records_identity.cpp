// Azure AD record templates (content type Audit.AzureActiveDirectory): STS logons
// (RecordType 15) and directory changes (RecordType 8) with ExtendedProperties,
// ModifiedProperties (pretty-printed JSON inside strings, "\r\n" escapes), Actor/Target arrays,
// "\/"-escaped URLs and "ClientIP": null on some records.
#include "sim/records/record_parts.h"

namespace o365fwd::sim::parts {
namespace {

// Appends {"Name":name,"Value":value} (with '/' escaped when `slash`).
void nameValue(std::string& b, std::string_view name, std::string_view value, bool slash = false) {
  b.append("{\"Name\":");
  appendJsonString(b, name);
  b.append(",\"Value\":");
  appendJsonString(b, value, slash);
  b.push_back('}');
}

void modified(std::string& b, std::string_view name, std::string_view new_value,
              std::string_view old_value) {
  b.append("{\"Name\":");
  appendJsonString(b, name);
  b.append(",\"NewValue\":");
  appendJsonString(b, new_value, true);
  b.append(",\"OldValue\":");
  appendJsonString(b, old_value, true);
  b.push_back('}');
}

void idType(std::string& b, std::string_view id, int type) {
  b.append("{\"ID\":");
  appendJsonString(b, id, true);
  b.append(",\"Type\":");
  appendInt(b, type);
  b.push_back('}');
}

void stsLogon(const RecordSpec& r, FieldWriter& w) {
  const User& u = user(sub(r.h, 1));
  std::string user_key = guid(r.h, 2);
  bool failed = r.op == 1;
  commonHead(r, w, "15", user_key, "0", "AzureActiveDirectory");
  w.str("ResultStatus", "Success");
  std::string ip = sub(r.h, 3) % 4 == 0 ? ipv6(sub(r.h, 4)) : ipv4(sub(r.h, 4));
  bool null_ip = sub(r.h, 5) % 8 == 0;
  if (null_ip) {
    w.null("ClientIP");
  } else {
    w.str("ClientIP", ip);
  }
  std::string app_id = guid(r.h, 6);
  w.str("ObjectId", app_id);
  w.str("UserId", upn(u, *r.stream));
  w.num("AzureActiveDirectoryEventType", 1);
  std::string& ext = w.key("ExtendedProperties");
  ext.push_back('[');
  nameValue(ext, "ResultStatusDetail", failed ? "Redirect" : "Success");
  ext.push_back(',');
  nameValue(ext, "UserAgent",
            pick({"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
                  "Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
                  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, "
                  "like Gecko) Version/17.4 Safari/605.1.15",
                  "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17425; Pro)"},
                 sub(r.h, 7)));
  ext.push_back(',');
  nameValue(ext, "RequestType",
            pick({"OAuth2:Authorize", "OAuth2:Token", "Login:login"}, sub(r.h, 8)));
  ext.push_back(']');
  w.raw("ModifiedProperties", "[]");
  std::string& actor = w.key("Actor");
  actor.push_back('[');
  idType(actor, user_key, 0);
  actor.push_back(',');
  idType(actor, upn(u, *r.stream), 5);
  actor.push_back(']');
  w.str("ActorContextId", r.stream->tenant_id);
  if (!null_ip) w.str("ActorIpAddress", ip);
  w.str("InterSystemsId", guid(r.h, 9));
  w.str("IntraSystemId", guid(r.h, 10));
  w.str("SupportTicketId", "");
  std::string& target = w.key("Target");
  target.push_back('[');
  idType(target, app_id, 0);
  target.push_back(']');
  w.str("TargetContextId", r.stream->tenant_id);
  w.str("ApplicationId", app_id);
  std::string& dev = w.key("DeviceProperties");
  dev.push_back('[');
  nameValue(dev, "OS", pick({"Windows 10", "MacOs", "Ios", "Linux"}, sub(r.h, 11)));
  dev.push_back(',');
  nameValue(dev, "BrowserType", pick({"Edge", "Chrome", "Safari", "Firefox"}, sub(r.h, 12)));
  dev.push_back(',');
  nameValue(dev, "IsCompliantAndManaged", "False");
  dev.push_back(',');
  nameValue(dev, "SessionId", guid(r.h, 13));
  dev.push_back(']');
  w.str("ErrorNumber", failed ? pick({"50126", "50053", "50074"}, sub(r.h, 14)) : "0");
  if (failed)
    w.str("LogonError",
          pick({"InvalidUserNameOrPassword", "IdsLocked", "UserStrongAuthClientAuthNRequired"},
               sub(r.h, 14)));
}

void directoryChange(const RecordSpec& r, FieldWriter& w) {
  const User& admin = user(sub(r.h, 1));
  const User& target = user(sub(r.h, 2));
  std::string puid = "10032001" + hex(sub(r.h, 3), 8);
  std::string admin_upn = upn(admin, *r.stream);
  std::string target_upn = upn(target, *r.stream);
  std::string target_guid = guid(r.h, 4);
  bool service_principal = r.op == 5;
  commonHead(r, w, "8", puid + "@" + r.stream->domain, service_principal ? "4" : "0",
             "AzureActiveDirectory");
  w.str("ResultStatus", "Success");
  if (sub(r.h, 5) % 3 == 0) {
    w.null("ClientIP");
  } else {
    w.str("ClientIP", "");
  }
  std::string app_url = "https://" +
                        std::string(pick({"graph", "portal", "reports"}, sub(r.h, 6))) +
                        ".example.net/" + r.stream->org + "/";
  w.str("ObjectId", service_principal ? app_url + ";" + target_guid : target_upn, true);
  w.str("UserId", service_principal ? "ServicePrincipal_" + guid(r.h, 7) : admin_upn);
  w.num("AzureActiveDirectoryEventType", 1);
  std::string& ext = w.key("ExtendedProperties");
  ext.push_back('[');
  nameValue(ext, "additionalDetails", service_principal ? "{}" : "{\"UserType\":\"Member\"}");
  ext.push_back(',');
  nameValue(ext, "extendedAuditEventCategory", service_principal ? "ServicePrincipal" : "User");
  ext.push_back(']');
  std::string& mod = w.key("ModifiedProperties");
  mod.push_back('[');
  if (service_principal) {
    modified(mod, "AccountEnabled", "[\r\n  true\r\n]", "[]");
    mod.push_back(',');
    modified(mod, "AppAddress",
             "[\r\n  {\r\n    \"AddressType\": 0,\r\n    \"Address\": \"" + app_url +
                 "\",\r\n    \"ReplyAddressClientType\": 1,\r\n    \"ReplyAddressIndex\": null,"
                 "\r\n    \"IsReplyAddressDefault\": false\r\n  }\r\n]",
             "[]");
    mod.push_back(',');
    modified(mod, "Included Updated Properties", "AccountEnabled, AppAddress", "");
  } else {
    modified(mod, "DisplayName", "[\r\n  \"" + std::string(target.display_name) + "\"\r\n]", "[]");
    mod.push_back(',');
    modified(mod, "AccountEnabled", "[\r\n  true\r\n]", "[]");
    mod.push_back(',');
    modified(mod, "StsRefreshTokensValidFrom",
             "[\r\n  \"" + isoSeconds(r.creation_s - 60) + "Z\"\r\n]", "[]");
    mod.push_back(',');
    modified(mod, "Included Updated Properties",
             "DisplayName, AccountEnabled, StsRefreshTokensValidFrom", "");
  }
  mod.push_back(']');
  std::string& actor = w.key("Actor");
  actor.push_back('[');
  idType(actor, admin_upn, 5);
  actor.push_back(',');
  idType(actor, puid, 3);
  actor.push_back(',');
  idType(actor, "User_" + guid(r.h, 8), 2);
  actor.push_back(']');
  w.str("ActorContextId", r.stream->tenant_id);
  w.str("InterSystemsId", guid(r.h, 9));
  w.str("IntraSystemId", guid(r.h, 10));
  w.str("SupportTicketId", "");
  std::string& tgt = w.key("Target");
  tgt.push_back('[');
  idType(tgt, "User_" + target_guid, 2);
  tgt.push_back(',');
  idType(tgt, target_guid, 2);
  tgt.push_back(',');
  idType(tgt, "User", 2);
  tgt.push_back(',');
  idType(tgt, service_principal ? app_url : target_upn, 5);
  tgt.push_back(']');
  w.str("TargetContextId", r.stream->tenant_id);
}

}  // namespace

void renderAzureAd(const RecordSpec& r, FieldWriter& w) {
  if (r.kind == 0) {
    stsLogon(r, w);
  } else {
    directoryChange(r, w);
  }
}

}  // namespace o365fwd::sim::parts
