#include "core/filters/audit_names.h"

#include <algorithm>
#include <charconv>
#include <utility>

namespace o365fwd {
namespace {

struct NamedValue {
  int number;
  std::string_view name;
};

// AuditLogRecordType, from the Office 365 Management Activity API schema (docs "Enum:
// AuditLogRecordType"), in the order of the table.
constexpr NamedValue kRecordTypes[] = {
    {1, "ExchangeAdmin"},
    {2, "ExchangeItem"},
    {3, "ExchangeItemGroup"},
    {4, "SharePoint"},
    {6, "SharePointFileOperation"},
    {7, "OneDrive"},
    {8, "AzureActiveDirectory"},
    {9, "AzureActiveDirectoryAccountLogon"},
    {10, "DataCenterSecurityCmdlet"},
    {11, "ComplianceDLPSharePoint"},
    {13, "ComplianceDLPExchange"},
    {14, "SharePointSharingOperation"},
    {15, "AzureActiveDirectoryStsLogon"},
    {16, "SkypeForBusinessPSTNUsage"},
    {17, "SkypeForBusinessUsersBlocked"},
    {18, "SecurityComplianceCenterEOPCmdlet"},
    {19, "ExchangeAggregatedOperation"},
    {20, "PowerBIAudit"},
    {21, "CRM"},
    {22, "Yammer"},  // "Viva Engage" in the docs; the wire keeps Yammer
    {23, "SkypeForBusinessCmdlets"},
    {24, "Discovery"},
    {25, "MicrosoftTeams"},
    {28, "ThreatIntelligence"},
    {29, "MailSubmission"},
    {30, "MicrosoftFlow"},
    {31, "AeD"},
    {32, "MicrosoftStream"},
    {33, "ComplianceDLPSharePointClassification"},
    {34, "ThreatFinder"},
    {35, "Project"},
    {36, "SharePointListOperation"},
    {37, "SharePointCommentOperation"},
    {38, "DataGovernance"},
    {39, "Kaizala"},
    {40, "SecurityComplianceAlerts"},
    {41, "ThreatIntelligenceUrl"},
    {42, "SecurityComplianceInsights"},
    {43, "MIPLabel"},
    {44, "VivaInsights"},
    {45, "PowerAppsApp"},
    {46, "PowerAppsPlan"},
    {47, "ThreatIntelligenceAtpContent"},
    {48, "LabelContentExplorer"},
    {49, "TeamsHealthcare"},
    {50, "ExchangeItemAggregated"},
    {51, "HygieneEvent"},
    {52, "DataInsightsRestApiAudit"},
    {53, "InformationBarrierPolicyApplication"},
    {54, "SharePointListItemOperation"},
    {55, "SharePointContentTypeOperation"},
    {56, "SharePointFieldOperation"},
    {57, "MicrosoftTeamsAdmin"},
    {58, "HRSignal"},
    {59, "MicrosoftTeamsDevice"},
    {60, "MicrosoftTeamsAnalytics"},
    {61, "InformationWorkerProtection"},
    {62, "Campaign"},
    {63, "DLPEndpoint"},
    {64, "AirInvestigation"},
    {65, "Quarantine"},
    {66, "MicrosoftForms"},
    {67, "ApplicationAudit"},
    {68, "ComplianceSupervisionExchange"},
    {69, "CustomerKeyServiceEncryption"},
    {70, "OfficeNative"},
    {71, "MipAutoLabelSharePointItem"},
    {72, "MipAutoLabelSharePointPolicyLocation"},
    {73, "MicrosoftTeamsShifts"},
    {75, "MipAutoLabelExchangeItem"},
    {76, "CortanaBriefing"},
    {78, "WDATPAlerts"},
    {79, "PowerAppsResource"},
    {82, "SensitivityLabelPolicyMatch"},
    {83, "SensitivityLabelAction"},
    {84, "SensitivityLabeledFileAction"},
    {85, "AttackSim"},
    {86, "AirManualInvestigation"},
    {87, "SecurityComplianceRBAC"},
    {88, "UserTraining"},
    {89, "AirAdminActionInvestigation"},
    {90, "MSTIC"},
    {91, "PhysicalBadgingSignal"},
    {92, "TeamsEasyApprovals"},
    {93, "AipDiscover"},
    {94, "AipSensitivityLabelAction"},
    {95, "AipProtectionAction"},
    {96, "AipFileDeleted"},
    {97, "AipHeartBeat"},
    {98, "MCASAlerts"},
    {99, "OnPremisesFileShareScannerDlp"},
    {100, "OnPremisesSharePointScannerDlp"},
    {101, "ExchangeSearch"},
    {102, "SharePointSearch"},
    {103, "PrivacyInsights"},
    {105, "MyAnalyticsSettings"},
    {106, "SecurityComplianceUserChange"},
    {107, "ComplianceDLPExchangeClassification"},
    {109, "MipExactDataMatch"},
    {113, "MS365DCustomDetection"},
    {147, "CoreReportingSettings"},
    {148, "ComplianceConnector"},
    {154, "OMEPortal"},
    {157, "MipLabelAnalyticsAuditRecord"},
    {164, "ScorePlatformGenericAuditRecord"},
    {174, "DataShareOperation"},
    {181, "EduDataLakeDownloadOperation"},
    {183, "MicrosoftGraphDataConnectOperation"},
    {186, "PowerPagesSite"},
    {187, "PowerPlatformAdminDlp"},
    {188, "PlannerPlan"},
    {189, "PlannerCopyPlan"},
    {190, "PlannerTask"},
    {191, "PlannerRoster"},
    {192, "PlannerPlanList"},
    {193, "PlannerTaskList"},
    {194, "PlannerTenantSettings"},
    {195, "ProjectForThewebProject"},
    {196, "ProjectForThewebTask"},
    {197, "ProjectForThewebRoadmap"},
    {198, "ProjectForThewebRoadmapItem"},
    {199, "ProjectForThewebProjectSettings"},
    {200, "ProjectForThewebRoadmapSettings"},
    {202, "MicrosoftTodoAudit"},
    {206, "MicrosoftTeamsSensitivityLabelAction"},
    {216, "VivaGoals"},
    {217, "MicrosoftGraphDataConnectConsent"},
    {218, "AttackSimAdmin"},
    {230, "TeamsUpdates"},
    {231, "PlannerRosterSensitivityLabel"},
    {235, "MicrosoftDefenderForIdentityAudit"},
    {237, "DefenderExpertsforXDRAdmin"},
    {251, "VfamCreatePolicy"},
    {252, "VfamUpdatePolicy"},
    {253, "VfamDeletePolicy"},
    {256, "PowerPlatformAdministratorActivity"},
    {257, "Windows365CustomerLockbox"},
    {261, "CopilotInteraction"},
    {265, "VivaLearning"},
    {266, "VivaLearningAdmin"},
    {269, "PeopleAdminSettings"},
    {275, "OWAAuth"},
    {277, "SharePointESignature"},
    {278, "Dynamics365BusinessCentral"},
    {279, "MeshWorlds"},
    {280, "VivaPulseResponse"},
    {281, "VivaPulseOrganizer"},
    {282, "VivaPulseAdmin"},
    {283, "VivaPulseReport"},
    {284, "AIAppInteraction"},
    {285, "ComplianceDLMExchange"},
    {286, "ComplianceDLMSharePoint"},
    {287, "ProjectForThewebAssignedToMeSettings"},
    {288, "CloudPolicyService"},
    {291, "SensitiveInfoDiscovered"},
    {292, "InsiderRiskScopedUserInsights"},
    {293, "MicrosoftTeamsRetentionLabelAction"},
    {294, "AadRiskDetection"},
    {295, "AuditSearch"},
    {296, "AuditRetentionPolicy"},
    {297, "AuditConfig"},
    {298, "BackupPolicy"},
    {299, "RestoreTask"},
    {300, "RestoreItem"},
    {301, "BackupItem"},
    {302, "URBACAssignment"},
    {303, "URBACRole"},
    {304, "URBACEnableState"},
    {306, "PurviewInsiderRiskCases"},
    {307, "PurviewInsiderRiskAlerts"},
    {308, "InsiderRiskScopedUsers"},
    {310, "CreateCopilotPlugin"},
    {311, "UpdateCopilotPlugin"},
    {312, "DeleteCopilotPlugin"},
    {313, "EnableCopilotPlugin"},
    {314, "DisableCopilotPlugin"},
    {315, "CreateCopilotWorkspace"},
    {316, "UpdateCopilotWorkspace"},
    {317, "DeleteCopilotWorkspace"},
    {318, "EnableCopilotWorkspace"},
    {319, "DisableCopilotWorkspace"},
    {320, "CreateCopilotPromptBook"},
    {321, "UpdateCopilotPromptBook"},
    {322, "DeleteCopilotPromptBook"},
    {323, "EnableCopilotPromptBook"},
    {324, "DisableCopilotPromptBook"},
    {325, "UpdateCopilotSettings"},
    {328, "ConnectedAIAppInteraction"},
    {329, "PrivaPrivacyConsentOperation"},
    {330, "PrivaPrivacyAssessmentOperation"},
    {331, "DataCatalogAccessRequests"},
    {332, "ComplianceSettingsChange"},
    {333, "DataSecurityInvestigation"},
    {334, "TeamCopilotInteraction"},
    {335, "IRMActivityAuditTrail"},
    {336, "SharePointContentSecurityPolicy"},
    {337, "CloudUpdateProfileConfig"},
    {338, "CloudUpdateTenantConfig"},
    {339, "CloudUpdateDeviceConfig"},
    {341, "DeviceDiscoverySettingsExclusion"},
    {342, "DeviceDiscoverySettingsAuthenticatedScans"},
    {344, "DeviceDiscoverySettings"},
    {345, "USXWorkspaceOnboarding"},
    {346, "VivaGlintAdvancedConfiguration"},
    {347, "VivaGlintPulseProgram"},
    {348, "VivaGlintPulseProgramRespondentRate"},
    {349, "VivaGlintQuestion"},
    {350, "VivaGlintRole"},
    {351, "VivaGlintRubicon"},
    {352, "VivaGlintSupportAccess"},
    {353, "VivaGlintSystem"},
    {354, "VivaGlintUser"},
    {355, "VivaGlintUserGroup"},
    {356, "VivaGlintFeedbackProgram"},
    {357, "FabricAudit"},
    {358, "TrainableClassifier"},
    {359, "WebContentFiltering"},
    {360, "NoisyAlertPolicy"},
    {361, "DataScanClassification"},
    {362, "AIInteractionsExport"},
    {363, "Microsoft365CopilotScheduledPrompt"},
    {364, "PlacesDirectory"},
    {365, "SentinelNotebookOnLake"},
    {366, "SentinelJob"},
    {367, "SentinelKQLOnLake"},
    {368, "SentinelLakeOnboarding"},
    {369, "SentinelLakeDataOnboarding"},
    {370, "SentinelAITool"},
    {371, "SentinelGraph"},
    {372, "CrossTenantAccessPolicy"},
    {373, "OutlookCopilotAutomation"},
    {374, "VivaEngageNetworkAssociation"},
    {375, "AppAdminActivity"},
    {376, "AppSettingsAdminActivity"},
    {377, "UniversalPrintPrintJob"},
    {378, "VivaAmplifyOutlookSensitivityLabel"},
    {379, "AIInteractionsSubscription"},
    {380, "AIInteractionsChangeNotification"},
    {381, "FilteringMailMetadataExtended"},
    {382, "OfficeRestrictedModeAction"},
    {383, "CopilotForSecurityTrigger"},
    {384, "CopilotAgentManagement"},
    {385, "P4AIAssessmentFabricScannerRecord"},
    {386, "PlannerGoal"},
    {387, "PlannerGoalList"},
    {401, "PlannerChatMessage"},
    {402, "PlannerChatMessageList"},
    {414, "VivaEngageSegment"},
    {422, "VivaEngageEvents"},
    {427, "UniversalPrintManagement"},
    {430, "PurviewPostureAgent"},
    {431, "GranularBrowseTask"},
    {444, "TeamsEvalDataHubDataAccess"},
    {445, "TeamsEvalDataHubPermissionChange"},
    {454, "DragonCopilotAdmin"},
    {462, "MicrosoftTeamsUserConcern"},
    {463, "VivaGlintAgenticCampaign"},
};

// Other spellings accepted in the configuration.
constexpr NamedValue kRecordTypeAliases[] = {{22, "VivaEngage"}, {216, "Viva Goals"}};

constexpr NamedValue kUserTypes[] = {
    {0, "Regular"},           {1, "Reserved"},     {2, "Admin"},
    {3, "DCAdmin"},           {4, "System"},       {5, "Application"},
    {6, "ServicePrincipal"},  {7, "CustomPolicy"}, {8, "SystemPolicy"},
    {9, "PartnerTechnician"}, {10, "Guest"}};

// Names compare without case and without spaces ("Viva Engage" = "VivaEngage" = "vivaengage").
bool sameName(std::string_view a, std::string_view b) {
  std::size_t i = 0, j = 0;
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  while (true) {
    while (i < a.size() && a[i] == ' ') ++i;
    while (j < b.size() && b[j] == ' ') ++j;
    if (i == a.size() || j == b.size()) return i == a.size() && j == b.size();
    if (lower(a[i++]) != lower(b[j++])) return false;
  }
}

template <std::size_t N>
std::optional<int> numberOf(const NamedValue (&table)[N], std::string_view name) {
  for (const NamedValue& v : table)
    if (sameName(v.name, name)) return v.number;
  return std::nullopt;
}

template <std::size_t N>
std::string_view nameOf(const NamedValue (&table)[N], int number) {
  for (const NamedValue& v : table)
    if (v.number == number) return v.name;
  return {};
}

template <std::size_t N>
std::vector<std::string_view> namesOf(const NamedValue (&table)[N]) {
  std::vector<std::string_view> out;
  out.reserve(N);
  for (const NamedValue& v : table) out.push_back(v.name);
  return out;
}

}  // namespace

std::optional<int> recordTypeNumber(std::string_view name) {
  if (auto n = numberOf(kRecordTypes, name)) return n;
  return numberOf(kRecordTypeAliases, name);
}
std::string_view recordTypeName(int number) {
  return nameOf(kRecordTypes, number);
}
std::vector<std::string_view> recordTypeNames() {
  return namesOf(kRecordTypes);
}

std::optional<int> userTypeNumber(std::string_view name) {
  return numberOf(kUserTypes, name);
}
std::string_view userTypeName(int number) {
  return nameOf(kUserTypes, number);
}
std::vector<std::string_view> userTypeNames() {
  return namesOf(kUserTypes);
}

const std::vector<std::string_view>& knownWorkloads() {
  static const std::vector<std::string_view> kWorkloads = {"AzureActiveDirectory",
                                                           "Exchange",
                                                           "SharePoint",
                                                           "OneDrive",
                                                           "MicrosoftTeams",
                                                           "SecurityComplianceCenter",
                                                           "ThreatIntelligence",
                                                           "PowerBI",
                                                           "Yammer",
                                                           "MicrosoftForms",
                                                           "MicrosoftStream",
                                                           "MicrosoftFlow",
                                                           "PowerApps",
                                                           "PowerPlatform",
                                                           "Dynamics365",
                                                           "CRM",
                                                           "Project",
                                                           "ProjectForTheWeb",
                                                           "Planner",
                                                           "Kaizala",
                                                           "Sway",
                                                           "OfficeNative",
                                                           "Aip",
                                                           "AirInvestigation",
                                                           "Quarantine",
                                                           "MicrosoftTodo",
                                                           "MyAnalytics",
                                                           "VivaInsights",
                                                           "WorkplaceAnalytics",
                                                           "VivaGoals",
                                                           "VivaLearning",
                                                           "VivaPulse",
                                                           "VivaGlint",
                                                           "Copilot",
                                                           "Endpoint",
                                                           "PublicEndpoint",
                                                           "Compliance",
                                                           "DataInsights",
                                                           "CloudAppSecurity",
                                                           "MicrosoftDefenderForIdentity",
                                                           "Windows365",
                                                           "Fabric",
                                                           "Purview",
                                                           "Mesh",
                                                           "Loop",
                                                           "Whiteboard",
                                                           "Bookings",
                                                           "Search",
                                                           "TeamsEvalDataHub",
                                                           "SecurityCopilot"};
  return kWorkloads;
}

const std::vector<std::string_view>& knownOperations() {
  static const std::vector<std::string_view> kOperations = {
      // Exchange mailbox
      "MailItemsAccessed", "Send", "SendAs", "SendOnBehalf", "SoftDelete", "HardDelete",
      "MoveToDeletedItems", "Move", "Copy", "Create", "Update", "FolderBind", "MessageBind",
      "UpdateFolderPermissions", "AddFolderPermissions", "ModifyFolderPermissions",
      "RemoveFolderPermissions", "UpdateInboxRules", "UpdateCalendarDelegation", "MailboxLogin",
      "ApplyRecord", "AttachmentAccess", "MessageAccess", "AdminMailAccess", "SearchQueryInitiated",
      "Access", "Search", "MailboxItemsAccessed",
      // Exchange admin
      "New-InboxRule", "Set-InboxRule", "Remove-InboxRule", "Enable-InboxRule", "Disable-InboxRule",
      "Set-Mailbox", "Add-MailboxPermission", "Remove-MailboxPermission", "Add-RecipientPermission",
      "Remove-RecipientPermission", "Set-MailboxAuditBypassAssociation", "New-TransportRule",
      "Set-TransportRule", "Remove-TransportRule", "New-ManagementRoleAssignment",
      "Set-OwaMailboxPolicy", "Set-CASMailbox", "New-Mailbox", "Remove-Mailbox",
      "Get-QuarantineMessage", "Release-QuarantineMessage", "Preview-QuarantineMessage",
      "Set-AdminAuditLogConfig", "New-ComplianceSearch", "Start-ComplianceSearch",
      "New-ComplianceSearchAction",
      // SharePoint and OneDrive
      "FileAccessed", "FileAccessedExtended", "FileModified", "FileModifiedExtended",
      "FileUploaded", "FileDownloaded", "FileDeleted", "FileDeletedFirstStageRecycleBin",
      "FileDeletedSecondStageRecycleBin", "FileRecycled", "FileRestored", "FileRenamed",
      "FileMoved", "FileCopied", "FileCheckedIn", "FileCheckedOut", "FileCheckOutDiscarded",
      "FilePreviewed", "FileSyncDownloadedFull", "FileSyncDownloadedPartial",
      "FileSyncUploadedFull", "FileSyncUploadedPartial", "FileVersionsAllDeleted",
      "FileSensitivityLabelApplied", "FileSensitivityLabelChanged", "FolderCreated",
      "FolderModified", "FolderDeleted", "FolderRenamed", "FolderMoved", "FolderCopied",
      "FolderRecycled", "FolderRestored", "PageViewed", "PageViewedExtended", "ClientViewSignaled",
      "SearchQueryPerformed", "SharingSet", "SharingRevoked", "SharingInheritanceBroken",
      "SharingInvitationCreated", "SharingInvitationAccepted", "SharingInvitationRevoked",
      "AnonymousLinkCreated", "AnonymousLinkUpdated", "AnonymousLinkUsed", "AnonymousLinkRemoved",
      "CompanyLinkCreated", "CompanyLinkUsed", "CompanyLinkRemoved", "SecureLinkCreated",
      "SecureLinkUsed", "AddedToSecureLink", "RemovedFromSecureLink", "AccessRequestCreated",
      "AccessRequestApproved", "AccessRequestRejected", "AddedToGroup", "RemovedFromGroup",
      "GroupAdded", "GroupRemoved", "GroupUpdated", "SiteCollectionCreated", "SiteDeleted",
      "SiteCollectionAdminAdded", "SiteCollectionAdminRemoved", "PermissionLevelAdded",
      "PermissionLevelModified", "ListCreated", "ListUpdated", "ListDeleted", "ListViewed",
      "ListItemCreated", "ListItemUpdated", "ListItemDeleted", "ListItemViewed", "ListItemRecycled",
      "ListColumnCreated", "ListColumnUpdated", "ListContentTypeCreated", "UserAgentBlocked",
      "NetworkAccessBlocked", "FileMalwareDetected", "SiteLocksChanged",
      // Entra ID
      "UserLoggedIn", "UserLoginFailed", "Add user.", "Update user.", "Delete user.",
      "Add member to role.", "Remove member from role.", "Add member to group.",
      "Remove member from group.", "Add group.", "Update group.", "Delete group.",
      "Add service principal.", "Remove service principal.", "Add service principal credentials.",
      "Remove service principal credentials.", "Add application.", "Update application.",
      "Delete application.", "Consent to application.", "Add delegated permission grant.",
      "Add app role assignment grant to user.", "Change user license.", "Change user password.",
      "Reset user password.", "Set force change user password.",
      "Update StsRefreshTokenValidFrom Timestamp.", "Set domain authentication.",
      "Add domain to company.", "Remove domain from company.", "Set company information.",
      "Add partner to company.", "Update device.", "Add registered owner to device.",
      "Add registered users to device.", "Add policy.", "Update policy.", "Delete policy.",
      "PasswordLogonInitialAuthUsingPassword",
      // Teams
      "TeamsSessionStarted", "TeamCreated", "TeamDeleted", "TeamSettingChanged", "MemberAdded",
      "MemberRemoved", "MemberRoleChanged", "ChannelAdded", "ChannelDeleted",
      "ChannelSettingChanged", "MessageSent", "MessageRead", "MessageEdited", "MessageDeleted",
      "MessagesListed", "MessageCreatedHasLink", "MessageUpdatedHasLink", "ChatCreated",
      "ChatRetrieved", "MeetingDetail", "MeetingParticipantDetail", "AppInstalled",
      "AppUninstalled", "BotAddedToTeam", "TabAdded", "ConnectorAdded", "FileDownloadedFromChat",
      // DLP, Defender, alerts
      "DlpRuleMatch", "DlpRuleUndo", "DlpInfo", "DLPRuleMatch", "AlertTriggered",
      "AlertEntityGenerated", "AlertUpdated", "TIMailData", "TIUrlClickData", "AtpDetection",
      "AirInvestigationData", "AirManualInvestigationData", "AirAdminActionInvestigationData",
      "UserSubmission", "AdminSubmission", "QuarantineRelease", "QuarantinePreview",
      "SensitivityLabelApplied", "SensitivityLabelUpdated", "SensitivityLabelRemoved",
      "SensitivityLabelPolicyMatched", "Discover", "HeartBeat",
      // Power BI, Power Platform, Forms, Yammer, Copilot, other workloads
      "ViewReport", "ViewDashboard", "ExportReport", "ExportArtifact", "CreateArtifact",
      "EditReport", "ShareReport", "GetSnapshots", "CreateFlow", "EditFlow", "DeleteFlow",
      "LaunchPowerApp", "CreateForm", "ViewForm", "ViewResponses", "GroupCreation",
      "MessageCreation", "CopilotInteraction", "AIInteractionCreatedNotification",
      "InsightGenerated", "SearchDataInsightsSubscription", "Get-Message",
      "Set-ConditionalAccessPolicy"};
  return kOperations;
}

std::string asciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::optional<int> parseSmallInt(std::string_view text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

}  // namespace o365fwd
