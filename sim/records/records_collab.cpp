// SharePoint/OneDrive (Audit.SharePoint: RecordType 6 file operations, 4 page views, 14 sharing
// with XML fragments in EventData and empty-string ClientIP/UserAgent) and Audit.General
// (RecordType 25 Teams with Members arrays, 22 Yammer with integers above 2^32 and ports in
// ClientIP, 20 Power BI with RecordType/UserType as strings, JSON inside strings and
// float-literal number text).
#include "sim/records/record_parts.h"

namespace o365fwd::sim::parts {
namespace {

struct Site {
  bool onedrive;
  std::string url;  // with trailing '/'
};

Site site(const RecordSpec& r, const User& u) {
  bool onedrive = sub(r.h, 50) % 3 == 0;
  if (onedrive) {
    return {true, "https://" + r.stream->org + "-my.sharepoint.com/personal/" +
                      std::string(u.alias) + "_" + r.stream->org + "_onmicrosoft_com/"};
  }
  return {false,
          "https://" + r.stream->org + ".sharepoint.com/sites/" +
              std::string(pick({"Finance", "Marketing", "Engineering", "HR-Team"}, sub(r.h, 51))) +
              "/"};
}

std::string_view agent(std::uint64_t h) {
  return pick({"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/124.0.0.0 Safari/537.36",
               "Microsoft SkyDriveSync 24.070.0407.0003 ship; Windows NT 10.0 (19045)",
               "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15"},
              h);
}

void sharePointBase(const RecordSpec& r, FieldWriter& w, int record_type, const User& u,
                    const Site& s, std::string_view item_type) {
  commonHead(r, w,
             record_type == 4   ? "4"
             : record_type == 6 ? "6"
                                : "14",
             "i:0h.f|membership|10032001" + hex(sub(r.h, 1), 8) + "@live.com", "0",
             s.onedrive ? "OneDrive" : "SharePoint");
  w.str("Site", guid(r.h, 2));
  w.str("ItemType", item_type);
  w.str("EventSource", "SharePoint");
  w.str("UserId", upn(u, *r.stream));
  w.str("WebId", guid(r.h, 3));
  w.str("CorrelationId", guid(r.h, 4));
}

void fileOperation(const RecordSpec& r, FieldWriter& w) {
  const User& u = user(sub(r.h, 5));
  Site s = site(r, u);
  sharePointBase(r, w, 6, u, s, "File");
  std::string_view ext = pick({"docx", "xlsx", "pdf", "pptx", "txt"}, sub(r.h, 6));
  std::string name =
      std::string(
          pick({"Q4 report", "Budget 2025", "Übersicht", "notes (1)", "plan"}, sub(r.h, 7))) +
      "." + std::string(ext);
  std::string folder = s.onedrive ? "Documents" : "Shared Documents";
  w.str("ClientIP", ipv4(sub(r.h, 8)));
  w.str("ObjectId", s.url + folder + "/" + name);
  w.str("UserAgent", agent(sub(r.h, 9)));
  w.str("SiteUrl", s.url);
  w.str("SourceRelativeUrl", folder);
  w.str("SourceFileName", name);
  w.str("SourceFileExtension", ext);
  w.str("ListId", guid(r.h, 10));
  w.str("ListItemUniqueId", guid(r.h, 11));
  w.boolean("IsManagedDevice", sub(r.h, 12) % 2 == 0);
  w.str("Platform", pick({"WinDesktop", "MacDesktop", "iOS"}, sub(r.h, 13)));
  if (r.op == 5) {  // FileRenamed
    w.str("DestinationFileName", "renamed-" + name);
    w.str("DestinationFileExtension", ext);
    w.str("DestinationRelativeUrl", folder);
  }
}

void pageView(const RecordSpec& r, FieldWriter& w) {
  const User& u = user(sub(r.h, 5));
  Site s = site(r, u);
  sharePointBase(r, w, 4, u, s, "Page");
  w.str("ClientIP", ipv4(sub(r.h, 8)));
  w.str("ObjectId", s.url + "SitePages/Home.aspx");
  w.str("UserAgent", agent(sub(r.h, 9)));
  w.boolean("IsManagedDevice", false);
  w.str("DeviceDisplayName", ipv6(sub(r.h, 10)));
}

void sharing(const RecordSpec& r, FieldWriter& w) {
  const User& u = user(sub(r.h, 5));
  const User& target = user(sub(r.h, 6));
  Site s = site(r, u);
  sharePointBase(r, w, 14, u, s, r.op == 0 ? "Web" : "File");
  w.str("ClientIP", "");
  w.str("ObjectId", s.url + (r.op == 0 ? "" : "Shared Documents/plan.docx"));
  w.str("UserAgent", "");
  w.str("SiteUrl", s.url);
  switch (r.op) {
    case 0:
      w.str("EventData",
            std::string("<Group>") +
                std::string(pick({"Site Members", "Site Owners", "Site Visitors"}, sub(r.h, 7))) +
                "</Group>");
      w.str("TargetUserOrGroupName", target.display_name);
      w.str("TargetUserOrGroupType", "Member");
      break;
    case 1:
      w.str("EventData", "<PermissionsGranted>Contribute</PermissionsGranted><ClientId>" +
                             guid(r.h, 8) + "</ClientId>");
      w.str("TargetUserOrGroupName", std::string(target.alias) + "@example.org");
      w.str("TargetUserOrGroupType", "Guest");
      w.str("UniqueSharingId", guid(r.h, 9));
      break;
    case 2: w.str("EventData", "<SharingInheritanceBroken>True</SharingInheritanceBroken>"); break;
    default:
      w.str("EventData", "<Type>View</Type><MembersCanShare>True</MembersCanShare>");
      w.str("TargetUserOrGroupName", "Anonymous");
      w.str("TargetUserOrGroupType", "AnonymousLink");
      w.str("UniqueSharingId", guid(r.h, 9));
      break;
  }
}

void teams(const RecordSpec& r, FieldWriter& w) {
  const User& u = user(sub(r.h, 1));
  bool app = r.op == 0 && sub(r.h, 2) % 2 == 0;
  commonHead(r, w, "25", app ? "" : guid(r.h, 3), app ? "5" : "0", "MicrosoftTeams");
  w.str("UserId", app ? "Application" : upn(u, *r.stream));
  w.str("TeamGuid", "19:" + hex(sub(r.h, 4), 32) + "@thread.tacv2");
  std::string team =
      std::string(pick({"Project Phoenix", "Équipe Ventes", "営業チーム", "Ops"}, sub(r.h, 5)));
  w.str("TeamName", team);
  if (r.op == 0) return;
  w.str("ClientIP", ipv4(sub(r.h, 6)));
  w.str("CommunicationType", "Team");
  w.str("ItemName", team);
  if (r.op == 1) {
    std::string& m = w.key("Members");
    m.push_back('[');
    int n = 1 + static_cast<int>(sub(r.h, 7) % 4);
    for (int i = 0; i < n; ++i) {
      const User& member = user(sub(r.h, 20 + i));
      if (i > 0) m.push_back(',');
      m.append("{\"DisplayName\":");
      appendJsonString(m, member.display_name);
      m.append(",\"Role\":");
      appendInt(m, i == 0 ? 2 : 1);
      m.append(",\"UPN\":");
      appendJsonString(m, upn(member, *r.stream));
      m.push_back('}');
    }
    m.push_back(']');
  } else if (r.op == 3) {
    w.str("ChannelName", "General – Ankündigungen");
    w.str("ChannelType", "Standard");
    w.str("ChannelGuid", "19:" + hex(sub(r.h, 8), 32) + "@thread.tacv2");
  }
}

void yammer(const RecordSpec& r, FieldWriter& w) {
  const User& u = user(sub(r.h, 1));
  commonHead(r, w, "22", "10032000" + hex(sub(r.h, 2), 8), "0", "Yammer");
  w.str("ResultStatus", "TRUE");
  w.str("ClientIP",
        sub(r.h, 3) % 2 == 0
            ? ipv4(sub(r.h, 4)) + ":" + std::to_string(1024 + sub(r.h, 5) % 60000)
            : "[" + ipv6(sub(r.h, 4)) + "]:" + std::to_string(1024 + sub(r.h, 5) % 60000));
  w.str("UserId", upn(u, *r.stream));
  w.str("ActorUserId", upn(u, *r.stream));
  // Integers above 2^32 (and, for the network, a stable per-tenant value).
  w.num("ActorYammerUserId",
        static_cast<std::int64_t>(30'000'000'000ull + sub(r.h, 6) % 9'000'000'000ull));
  w.num("YammerNetworkId",
        static_cast<std::int64_t>(5'000'000'000ull + r.stream->stream_hash % 900'000'000ull));
  std::string group =
      std::string(pick({"Sales", "Company group", "Café & Kuchen", "Onboarding"}, sub(r.h, 7)));
  w.str("ObjectId", group);
  w.str("GroupName", group);
  if (r.op == 1)
    w.num("MessageId",
          static_cast<std::int64_t>(2'000'000'000'000ull + sub(r.h, 8) % 1'000'000'000ull));
}

void powerBi(const RecordSpec& r, FieldWriter& w) {
  const User& u = user(sub(r.h, 1));
  // Power BI records carry RecordType and UserType as strings.
  commonHead(r, w, "\"20\"", "10032001" + hex(sub(r.h, 2), 8), "\"0\"", "PowerBI");
  w.str("Activity", operationName(r.stream->content_type, r.kind, r.op));
  w.str("UserId", upn(u, *r.stream));
  w.str("ClientIP", ipv4(sub(r.h, 3)));
  w.str("UserAgent", agent(sub(r.h, 4)));
  w.str("RequestId", guid(r.h, 5));
  w.str("ActivityId", guid(r.h, 6));
  w.str("WorkspaceName", pick({"Finance BI", "Ventes – Europe", "Ops dashboards"}, sub(r.h, 7)));
  w.str("WorkspaceId", guid(r.h, 8));
  w.str("ObjectId", guid(r.h, 9));
  w.str("ObjectDisplayName", pick({"Monthly revenue", "Überstunden", "Churn"}, sub(r.h, 10)));
  w.boolean("IsSuccess", true);
  w.str("ResultStatus", r.op == 1 ? "InProgress" : "Succeeded");
  w.str("OperationProperties",
        "[{\"Name\":\"SystemArtifactType\",\"Value\":\"None\"},{\"Name\":\"Experience\",\"Value\":"
        "\"" +
            std::string(pick({"Lakehouse", "Report", "Dataset"}, sub(r.h, 11))) + "\"}]");
  // Number text with a fraction, as exported sizes appear.
  std::string& size = w.key("SizeInBytes");
  appendUint(size, 1000 + sub(r.h, 12) % 5'000'000);
  size.append(".00");
  if (r.op == 2)
    w.str("ExportedArtifactInfo", "{\"ExportType\":\"PDF\",\"ArtifactType\":\"Report\"}");
}

}  // namespace

void renderSharePoint(const RecordSpec& r, FieldWriter& w) {
  switch (r.kind) {
    case 0: fileOperation(r, w); break;
    case 1: pageView(r, w); break;
    default: sharing(r, w); break;
  }
}

void renderGeneral(const RecordSpec& r, FieldWriter& w) {
  switch (r.kind) {
    case 0: teams(r, w); break;
    case 1: yammer(r, w); break;
    default: powerBi(r, w); break;
  }
}

}  // namespace o365fwd::sim::parts
