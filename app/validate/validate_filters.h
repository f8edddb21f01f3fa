#pragma once
// The "filters" check of `o365fwd validate` (docs/VALIDATE.md): for a tenant whose record filters
// drop anything, downloads a bounded sample of the blobs the one-hour listing check found (at most
// kFilterSampleBlobsPerType per content type, kFilterSampleBlobs per tenant, each within
// kFilterSampleDeadline), parses them with the daemon's parser and applies the tenant's filters:
// "would forward 8,200 of 10,000 records". Nothing is forwarded or stored. Runs on the tenant's
// validate worker; appends to that worker's context only.
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "app/runtime.h"
#include "app/validate/validate_command.h"

namespace o365fwd {

inline constexpr std::size_t kFilterSampleBlobsPerType = 4;
inline constexpr std::size_t kFilterSampleBlobs = 12;
inline constexpr auto kFilterSampleDeadline = std::chrono::seconds(20);

// A blob the listing check found: content type and contentUri.
struct SampleBlob {
  std::string content_type;
  std::string content_uri;
};

// The contentUri values of a listing page (JSON array of content refs), at most `max`.
std::vector<std::string> sampleContentUris(std::string_view listing_body, std::size_t max);

// Appends one "filters" check for `t` when its filters are not the default (nothing otherwise).
void checkFilterSample(ValidationContext& ctx, TenantRuntime& tr, const TenantConfig& t,
                       const std::vector<SampleBlob>& blobs);

// The check's detail for `admitted` of `records` records in `blobs` sampled blobs (pure).
std::string filterSampleDetail(std::uint64_t admitted, std::uint64_t records, std::size_t blobs,
                               std::size_t failed);

}  // namespace o365fwd
