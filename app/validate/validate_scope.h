#pragma once
// `validate --tenant NAME` and `validate --tenants-file FILE`: onboarding one customer. Narrows
// a loaded configuration to that tenant, or to the tenants of that file (read even when it is not
// in tenants_dir yet, so a new customer's file can be checked before it is copied in), keeping
// the main file's problems that are not about other tenants. Pure apart from reading FILE;
// called on the validate thread.
#include <string>

#include "core/config/config_loader.h"

namespace o365fwd {

// Neither set: `loaded` stays as it is. A tenant that is not configured (or sits in a broken
// file) and a file that cannot be read become configuration errors in `loaded`.
void narrowToScope(LoadedConfig& loaded, const std::string& tenant,
                   const std::string& tenants_file);

}  // namespace o365fwd
