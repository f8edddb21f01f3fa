#pragma once
// Names of the audit record fields that filters match (filters:, docs/FILTERS.md): the
// AuditLogRecordType and User Type enumerations of the Management Activity API schema, and lists
// of known Workload and Operation values for "did you mean" warnings. Pure tables; thread-safe.
//
// RecordType names are the schema's member names (docs "AuditLogRecordType", 257 values); 22 is
// `Yammer` as on the wire ("Viva Engage" and "VivaEngage" are accepted too). Name lookups ignore
// case and spaces. The operation list is not complete (Microsoft adds operations all the time):
// an operation it does not know is a warning, never an error, and is matched as written.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace o365fwd {

// The number of a RecordType name, or nullopt.
std::optional<int> recordTypeNumber(std::string_view name);
// The schema name of a RecordType number, or "" when the table does not have it.
std::string_view recordTypeName(int number);
std::vector<std::string_view> recordTypeNames();

// UserType: 0 Regular ... 10 Guest.
std::optional<int> userTypeNumber(std::string_view name);
std::string_view userTypeName(int number);
std::vector<std::string_view> userTypeNames();

// Workload values seen in audit records (AzureActiveDirectory, Exchange, SharePoint, OneDrive,
// MicrosoftTeams, ...).
const std::vector<std::string_view>& knownWorkloads();
// Common Operation values (Exchange mailbox and admin, SharePoint/OneDrive, Entra ID, Teams, DLP,
// Defender, Power BI, Copilot, ...).
const std::vector<std::string_view>& knownOperations();

// Lower-case ASCII copy (filters compare names case-insensitively).
std::string asciiLower(std::string_view text);
bool equalsIgnoreCase(std::string_view a, std::string_view b);
// A decimal integer (optional '-'), whole text; nullopt otherwise.
std::optional<int> parseSmallInt(std::string_view text);

}  // namespace o365fwd
