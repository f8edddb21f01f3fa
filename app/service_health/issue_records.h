#pragma once
// Microsoft 365 service health issues as records: which issues of a listing are new or changed
// (by `id` + `lastModifiedDateTime`), their de-duplication keys, and the batch the sinks get.
// Pure functions; any thread.
//
// A record is the issue object as Graph sent it (whitespace between tokens removed) with one
// member put first: "o365fwd":{"tenant":"<name>","contentType":"ServiceHealth.Issue"} — Graph's
// issues carry no tenant, and one issue is reported to every tenant it affects. In the batch the
// record's Id is the issue id (Kafka key), Operation is lastModifiedDateTime (the change key; the
// file sink's crash recovery matches on it), RecordType the classification, Workload the service
// and CreationTime the last modification (syslog TIMESTAMP).
#include <map>
#include <string>
#include <vector>

#include "connector/content_ref.h"
#include "connector/graph/service_health_parser.h"
#include "core/record_key.h"
#include "pipeline/parse/record_batch.h"

namespace o365fwd {

// The de-duplication key of one version of an issue.
RecordKey issueKey(const std::string& tenant, const ServiceIssue& issue);

// Indices of the issues whose (id, lastModifiedDateTime) differs from `known` (id -> the
// lastModifiedDateTime last forwarded or found forwarded), in listing order; an issue listed twice
// in the same version counts once.
std::vector<std::size_t> changedIssues(const std::vector<ServiceIssue>& issues,
                                       const std::map<std::string, std::string>& known);

// One batch holding the records of `issues[indices]`, for `content` (stream tenant /
// ServiceHealth.Issue).
BatchPtr buildIssueBatch(const ContentRef& content, const std::vector<ServiceIssue>& issues,
                         const std::vector<std::size_t>& indices);

}  // namespace o365fwd
