// Exchange (Audit.Exchange: RecordType 1 admin cmdlets with Parameters arrays, 2 mailbox items
// with nested Item/ParentFolder, "::1" client addresses and an OriginatingServer ending in a
// newline, 50 MailItemsAccessed with float-literal sizes) and DLP.All (RecordType 11 SharePoint/
// OneDrive and 13 Exchange: PolicyDetails -> Rules -> ConditionsMatched -> SensitiveInformation,
// ExceptionInfo as a JSON string or an object, DlpRuleUndo sharing the Id of its DlpRuleMatch).
#include "sim/records/record_parts.h"

namespace o365fwd::sim::parts {
namespace {

std::string sid(std::uint64_t h) {
  return "S-1-5-21-" + digits(sub(h, 1), 10) + "-" + digits(sub(h, 2), 10) + "-" +
         digits(sub(h, 3), 10) + "-" + digits(sub(h, 4), 8);
}

std::string server(std::uint64_t h) {
  return std::string(pick({"AM6PR01", "DB8PR02", "BN9PR11", "SY4PR01"}, h)) + "MB" +
         digits(h >> 8, 4);
}

std::string messageId(std::uint64_t h, const StreamInfo& s) {
  return "<" + server(h) + hex(sub(h, 1), 24) + "@" + server(h) + "." + s.org +
         ".prod.example.net>";
}

void param(std::string& b, std::string_view name, std::string_view value) {
  b.append("{\"Name\":");
  appendJsonString(b, name);
  b.append(",\"Value\":");
  appendJsonString(b, value);
  b.push_back('}');
}

void exchangeAdmin(const RecordSpec& r, FieldWriter& w) {
  const User& admin = user(sub(r.h, 1));
  const User& target = user(sub(r.h, 2));
  bool system = sub(r.h, 3) % 4 == 0;
  std::string actor =
      system ? "NT AUTHORITY\\SYSTEM (Microsoft.Exchange.ServiceHost)" : upn(admin, *r.stream);
  commonHead(r, w, "1", system ? actor : "10032001" + hex(sub(r.h, 4), 8), system ? "3" : "2",
             "Exchange");
  w.str("ResultStatus", "True");
  w.str("ClientIP", ipv4(sub(r.h, 5)) + ":" + std::to_string(1024 + sub(r.h, 6) % 60000));
  w.str("ObjectId", "EURPR01A00" + digits(sub(r.h, 7), 1) +
                        ".prod.outlook.com/Microsoft Exchange Hosted Organizations/" +
                        r.stream->domain + "/" + std::string(target.alias));
  w.str("UserId", actor);
  w.str("AppId", "");
  w.str("ClientAppId", "");
  w.boolean("ExternalAccess", system);
  w.str("OrganizationName", r.stream->domain);
  w.str("OriginatingServer", server(sub(r.h, 8)) + " (15.20." + digits(sub(r.h, 9), 4) + ".0" +
                                 digits(sub(r.h, 10), 2) + ")\r\n");
  std::string& p = w.key("Parameters");
  p.push_back('[');
  param(p, "Identity", std::string(target.alias));
  switch (r.op) {
    case 0:
      p.push_back(',');
      param(p, "ForwardingSmtpAddress", "smtp:" + std::string(target.alias) + "@example.org");
      p.push_back(',');
      param(p, "DeliverToMailboxAndForward", "True");
      break;
    case 1:
      p.push_back(',');
      param(p, "Name", "Move \"invoices\" (auto)");
      p.push_back(',');
      param(p, "MoveToFolder", "RSS Subscriptions");
      p.push_back(',');
      param(p, "SubjectContainsWords", "invoice;payment;Überweisung");
      break;
    case 2:
      p.push_back(',');
      param(p, "User", upn(admin, *r.stream));
      p.push_back(',');
      param(p, "AccessRights", "FullAccess");
      break;
    default:
      p.push_back(',');
      param(p, "SentToScope", "NotInOrganization");
      p.push_back(',');
      param(p, "Mode", "Enforce");
      break;
  }
  p.push_back(']');
}

void exchangeItem(const RecordSpec& r, FieldWriter& w) {
  const User& owner = user(sub(r.h, 1));
  bool system = sub(r.h, 2) % 3 == 0;
  std::string owner_sid = sid(sub(r.h, 3));
  std::string logon_sid = system ? "S-1-5-18" : owner_sid;
  commonHead(r, w, "2", logon_sid, system ? "2" : "0", "Exchange");
  w.str("ResultStatus", "Succeeded");
  std::string ip = system ? "::1" : ipv4(sub(r.h, 4));
  w.str("ClientIP", ip);
  w.str("UserId", system ? "S-1-5-18" : upn(owner, *r.stream));
  w.str("ClientIPAddress", ip);
  w.str("ClientInfoString", system ? "Client=WebServices;Action=ConfigureGroupMailbox"
                                   : "Client=OWA;Mozilla/5.0 (Windows NT 10.0; Win64; x64);");
  w.boolean("ExternalAccess", system);
  w.num("InternalLogonType", system ? 1 : 0);
  w.num("LogonType", system ? 1 : 0);
  w.str("LogonUserSid", logon_sid);
  w.str("MailboxGuid", guid(r.h, 5));
  w.str("MailboxOwnerMasterAccountSid", "S-1-5-10");
  w.str("MailboxOwnerSid", owner_sid);
  w.str("MailboxOwnerUPN", upn(owner, *r.stream));
  w.str("OrganizationName", r.stream->domain);
  w.str("OriginatingServer", server(sub(r.h, 6)) + " (15.20." + digits(sub(r.h, 7), 4) + ".0" +
                                 digits(sub(r.h, 8), 2) + ")\n");
  std::string& item = w.key("Item");
  item.append("{\"Id\":");
  appendJsonString(item, "RgAAAA" + hex(sub(r.h, 9), 40) + "AAAJ");
  item.append(",\"InternetMessageId\":");
  appendJsonString(item, messageId(sub(r.h, 10), *r.stream));
  item.append(",\"IsRecord\":false,\"ParentFolder\":{\"Id\":");
  appendJsonString(item, "LgAAAA" + hex(sub(r.h, 11), 32) + "AAAB");
  item.append(",\"Path\":");
  appendJsonString(item,
                   pick({"\\Inbox", "\\Sent Items", "\\Drafts", "\\Deleted Items"}, sub(r.h, 12)));
  item.append("},\"SizeInBytes\":");
  appendUint(item, 2000 + sub(r.h, 13) % 900000);
  item.append(",\"Subject\":");
  appendJsonString(item,
                   pick({"Quarterly report", "Réunion d'équipe – résumé", "Fwd: invoice #4711",
                         "Ihre Bestellung wurde versandt", "会議の議事録", "Lunch?"},
                        sub(r.h, 14)));
  if (sub(r.h, 15) % 2 == 0) {
    item.append(",\"Attachments\":");
    appendJsonString(item, "report (final).pdf (" + std::to_string(1000 + sub(r.h, 16) % 90000) +
                               "b); logo;v2.png (599b)");
  }
  item.push_back('}');
}

void mailItemsAccessed(const RecordSpec& r, FieldWriter& w) {
  const User& owner = user(sub(r.h, 1));
  int count = 1 + static_cast<int>(sub(r.h, 2) % 3);
  commonHead(r, w, "50", "10032001" + hex(sub(r.h, 3), 8), "0", "Exchange");
  w.str("ResultStatus", "Succeeded");
  w.str("ClientIP", ipv6(sub(r.h, 4)));
  w.str("UserId", upn(owner, *r.stream));
  w.str("AppId", guid(r.h, 5));
  w.str("ClientAppId", guid(r.h, 6));
  w.str("ClientIPAddress", ipv6(sub(r.h, 4)));
  w.str("ClientInfoString", "Client=REST;Client=RESTSystem;;");
  w.boolean("ExternalAccess", false);
  w.num("InternalLogonType", 0);
  w.num("LogonType", 0);
  w.str("MailboxGuid", guid(r.h, 7));
  w.str("MailboxOwnerUPN", upn(owner, *r.stream));
  w.str("OrganizationName", r.stream->domain);
  w.str("OriginatingServer",
        server(sub(r.h, 8)) + " (15.20." + digits(sub(r.h, 9), 4) + ".000)\r\n");
  w.str("SessionId", guid(r.h, 10));
  std::string& f = w.key("Folders");
  f.append("[{\"FolderItems\":[");
  for (int i = 0; i < count; ++i) {
    if (i > 0) f.push_back(',');
    f.append("{\"InternetMessageId\":");
    appendJsonString(f, messageId(sub(r.h, 20 + i), *r.stream));
    f.append(",\"SizeInBytes\":");
    appendUint(f, 1000 + sub(r.h, 30 + i) % 2000000);
    f.append(".00}");  // a float literal, as some records carry
  }
  f.append("],\"Id\":");
  appendJsonString(f, "LgAAAA" + hex(sub(r.h, 11), 32) + "AAAB");
  f.append(",\"Path\":\"\\\\Inbox\"}]");
  w.num("OperationCount", count);
  w.str("OperationProperties",
        "[{\"Name\":\"MailAccessType\",\"Value\":\"Bind\"},{\"Name\":\"IsThrottled\",\"Value\":"
        "\"False\"}]");
}

void policyDetails(std::string& b, std::uint64_t h, bool exchange, const StreamInfo& s) {
  b.append("[{\"PolicyId\":");
  appendJsonString(b, guid(h, 40));
  b.append(",\"PolicyName\":");
  appendJsonString(
      b, pick({"U.S. Financial Data", "GDPR – personal data", "Credit cards"}, sub(h, 41)));
  b.append(",\"Rules\":[");
  int rules = 1 + static_cast<int>(sub(h, 42) % 2);
  for (int i = 0; i < rules; ++i) {
    if (i > 0) b.push_back(',');
    b.append("{\"Actions\":[\"NotifyUser\"");
    if (exchange) b.append(",\"BlockAccess\",\"GenerateIncidentReport\"");
    b.append("],\"ActionParameters\":[");
    if (exchange) {
      appendJsonString(b, "GenerateIncidentReport:compliance@" + s.domain);
    }
    b.append("],\"ConditionsMatched\":{");
    if (exchange)
      b.append(
          "\"OtherConditions\":[{\"Name\":\"AccessScope\",\"Value\":\"IncludeExternalUsers\"}],");
    b.append("\"SensitiveInformation\":[");
    int infos = 1 + static_cast<int>(sub(h, 43 + i) % 3);
    for (int k = 0; k < infos; ++k) {
      if (k > 0) b.push_back(',');
      b.append("{\"Confidence\":");
      appendInt(b, 65 + 10 * static_cast<int>(sub(h, 50 + k) % 3));
      b.append(",\"Count\":");
      appendUint(b, 1 + sub(h, 60 + k) % 40);
      if (exchange) b.append(",\"Location\":\"Message Body\",\"UniqueCount\":1");
      b.append(",\"SensitiveType\":");
      appendJsonString(b, guid(h, 70 + k));
      b.push_back('}');
    }
    b.append("]},\"RuleId\":");
    appendJsonString(b, guid(h, 80 + i));
    b.append(",\"RuleMode\":\"Enable\",\"RuleName\":");
    appendJsonString(b,
                     i == 0 ? "High volume of content detected" : "Low volume of content detected");
    b.append(",\"Severity\":");
    appendJsonString(b, i == 0 ? "High" : "Low");
    b.push_back('}');
  }
  b.append("]}]");
}

void dlpSharePoint(const RecordSpec& r, FieldWriter& w) {
  bool onedrive = sub(r.h, 1) % 2 == 0;
  const User& owner = user(sub(r.h, 2));
  std::string agent = onedrive ? "DlpPolicyEventBasedAssistantOneDriveForBusiness"
                               : "DlpPolicyEventBasedAssistantSharePoint";
  commonHead(r, w, "11", agent, "4", onedrive ? "OneDrive" : "SharePoint");
  std::string unique = guid(r.h, 3);
  w.str("ObjectId", unique);
  w.str("UserId", agent);
  w.boolean("SensitiveInfoDetectionIsIncluded", false);
  policyDetails(w.key("PolicyDetails"), r.h, false, *r.stream);
  std::string site = "https://" + r.stream->org +
                     (onedrive ? "-my.sharepoint.com/personal/" : ".sharepoint.com/sites/") +
                     std::string(onedrive ? owner.alias : "Finance");
  std::string file = std::string(
      pick({"Customers Financial Data", "Kundenliste 2025", "payroll (copy)"}, sub(r.h, 4)));
  std::string& md = w.key("SharePointMetaData");
  md.append("{\"From\":");
  appendJsonString(md, upn(owner, *r.stream));
  md.append(",\"FileName\":");
  appendJsonString(md, file + ".docx");
  md.append(",\"FileOwner\":");
  appendJsonString(md, owner.display_name);
  md.append(",\"FilePathUrl\":");
  appendJsonString(md, site + "/Documents/" + file + ".docx");
  md.append(",\"ItemCreationTime\":");
  appendJsonString(md, isoSeconds(r.creation_s - 3600 * 24));
  md.append(",\"ItemLastModifiedTime\":");
  appendJsonString(md, isoSeconds(r.creation_s - 40));
  md.append(",\"SiteCollectionGuid\":");
  appendJsonString(md, guid(r.h, 5));
  md.append(",\"SiteCollectionUrl\":");
  appendJsonString(md, site);
  md.append(",\"UniqueID\":");
  appendJsonString(md, unique);
  md.push_back('}');
  w.str("IncidentId", guid(r.h, 6));
}

void dlpExchange(const RecordSpec& r, FieldWriter& w) {
  const User& from = user(sub(r.h, 1));
  const User& to = user(sub(r.h, 2));
  commonHead(r, w, "13", digits(sub(r.h, 3), 19), "4", "Exchange");
  std::string msg = messageId(sub(r.h, 4), *r.stream);
  w.str("ObjectId", msg);
  w.str("UserId", "DlpAgent");
  w.boolean("SensitiveInfoDetectionIsIncluded", false);
  policyDetails(w.key("PolicyDetails"), r.h, true, *r.stream);
  std::string& md = w.key("ExchangeMetaData");
  md.append("{\"BCC\":[],\"CC\":[");
  appendJsonString(md, std::string(to.alias) + "@example.net");
  md.append("],\"FileSize\":");
  appendUint(md, 5000 + sub(r.h, 5) % 90000);
  md.append(",\"From\":");
  appendJsonString(md, upn(from, *r.stream));
  md.append(",\"MessageID\":");
  appendJsonString(md, msg);
  md.append(",\"RecipientCount\":2,\"Sent\":");
  appendJsonString(md, isoSeconds(r.creation_s - 1));
  md.append(",\"Subject\":");
  appendJsonString(
      md,
      pick({"Here's the data you asked for", "Kreditkarten – Liste", "SSNs (draft)"}, sub(r.h, 6)));
  md.append(",\"To\":[");
  appendJsonString(md, std::string(to.alias) + "@example.org");
  md.append("],\"UniqueID\":");
  appendJsonString(md, guid(r.h, 7));
  md.push_back('}');
  // ExceptionInfo: a JSON document inside a string on some records, an object on others.
  std::uint64_t e = sub(r.h, 8) % 4;
  if (r.op == kUndoOp || e == 0) {
    w.str("ExceptionInfo", "{ \"Justification\": \"Business need – approved by " +
                               std::string(from.display_name) + "\" }");
  } else if (e == 1) {
    w.raw("ExceptionInfo", "{ \"FalsePositive\": true }");
  }
  w.str("IncidentId", guid(r.h, 9));
}

}  // namespace

void renderExchange(const RecordSpec& r, FieldWriter& w) {
  switch (r.kind) {
    case 0: exchangeAdmin(r, w); break;
    case 1: exchangeItem(r, w); break;
    default: mailItemsAccessed(r, w); break;
  }
}

void renderDlp(const RecordSpec& r, FieldWriter& w) {
  if (r.kind == 0) {
    dlpSharePoint(r, w);
  } else {
    dlpExchange(r, w);
  }
}

}  // namespace o365fwd::sim::parts
