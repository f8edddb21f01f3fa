#pragma once
// The simulator's ledger (one NDJSON line per unique (tenant, Id, Operation) it will ever serve)
// and the check every end-to-end test makes with it: "each deliverable record arrived exactly
// once, and nothing else arrived". Pure functions; thread-safe.
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/result.h"

namespace o365fwd::testing {

struct LedgerEntry {
  std::string tenant;        // tenant GUID (the records' OrganizationId)
  std::string content_type;  // "Audit.Exchange", ...
  std::string id;            // record Id
  std::string operation;     // record Operation
  std::string fate;          // "deliver" | "expired" | "dead_letter"
  bool deliverable() const { return fate == "deliver"; }
};

// The identity of one forwarded record.
struct RecordKey {
  std::string tenant;
  std::string id;
  std::string operation;
  bool operator==(const RecordKey&) const = default;
  bool operator<(const RecordKey& o) const {
    return std::tie(tenant, id, operation) < std::tie(o.tenant, o.id, o.operation);
  }
  std::string str() const { return tenant + "/" + id + "/" + operation; }
};

Result<std::vector<LedgerEntry>> parseLedger(std::string_view ndjson);
Result<std::vector<LedgerEntry>> readLedgerFile(const std::filesystem::path& path);

// Keys of audit records: one JSON object per line (the file sink's NDJSON), or one JSON array
// of records (a content blob). The tenant is taken from each record's OrganizationId.
Result<std::vector<RecordKey>> recordKeysFromNdjson(std::string_view ndjson);
Result<std::vector<RecordKey>> recordKeysFromJsonArray(std::string_view json_array);

struct DeliveryCheck {
  std::vector<RecordKey> missing;     // deliverable in the ledger, never delivered
  std::vector<RecordKey> duplicated;  // delivered more than once (listed once each)
  std::vector<RecordKey> unexpected;  // delivered but not deliverable per the ledger
  size_t expected = 0;                // deliverable ledger entries considered
  size_t delivered = 0;               // delivered keys given (with repeats)
  bool ok() const { return missing.empty() && duplicated.empty() && unexpected.empty(); }
  // "expected=N delivered=M missing=a duplicated=b unexpected=c; first missing: ..." for
  // assertion messages (at most `max_items` keys of each list).
  std::string summary(size_t max_items = 5) const;
};

// Compares delivered records with the ledger's deliverable entries. When `tenants` is not
// empty only ledger entries of those tenants are expected (delivered records of other tenants
// count as unexpected); likewise `content_types`.
DeliveryCheck checkDelivery(const std::vector<LedgerEntry>& ledger,
                            const std::vector<RecordKey>& delivered,
                            const std::vector<std::string>& tenants = {},
                            const std::vector<std::string>& content_types = {});

}  // namespace o365fwd::testing
