#pragma once
// The simulator's own fake credentials: certificate generation for --certificates DIR and the
// --credentials-out file that tests and the demo read. Nothing here is a real secret; the file
// is still written with mode 0600 so that a copied real-looking layout does not leak habits.
#include <string>

#include "core/result.h"
#include "sim/scenario.h"

namespace o365fwd::sim {

// For every tenant's first app without a certificate: generates a 2048-bit self-signed
// certificate and key, writes DIR/<tenant name>.crt and .key (0600) and registers them.
Status generateCertificates(SimConfig& config, const std::string& dir, int days = 365);

// {"api_url":..., "login_url":..., "tenants":[{"name","tenant_id","domain","client_id",
//   "client_secret","certificate_file","private_key_file"}]} — the first app of each tenant.
Status writeCredentials(const SimConfig& config, const std::string& base_url,
                        const std::string& path);

// Writes `text` to `path` with the given mode (atomically: temp file + rename).
Status writeFileAtomic(const std::string& path, const std::string& text, unsigned mode);

}  // namespace o365fwd::sim
