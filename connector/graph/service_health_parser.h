#pragma once
// Parses Microsoft Graph service-announcement answers (GET /v1.0/admin/serviceAnnouncement/issues
// and /healthOverviews): a JSON object {"value": [...], "@odata.nextLink": "..."}. Pure; any
// thread.
//
// Promises: an issue is kept with its object's bytes as Graph sent them (only the whitespace
// between tokens removed, so a pretty-printed answer still gives one line per record); an item
// that cannot be used (not an object, no string `id`, no `lastModifiedDateTime` string) is never
// dropped silently: it is counted in bad_items and described in problems. A body that is not a
// JSON object with a `value` array fails the whole page with ErrorKind::kCorrupt. Strings are
// kept to bounded lengths for display (the raw record keeps everything).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace o365fwd {

// One serviceHealthIssue (an incident or an advisory).
struct ServiceIssue {
  std::string id;                  // "EX123456"
  std::string title;               // at most kMaxText characters
  std::string service;             // "Exchange Online"
  std::string feature;             // "E-Mail and calendar access"
  std::string classification;      // "incident" | "advisory" | what Graph sent
  std::string status;              // "serviceDegradation", "serviceRestored", ...
  std::string impact_description;  // at most kMaxText characters
  bool is_resolved = false;
  std::optional<WallTime> start;
  std::optional<WallTime> end;
  std::string last_modified;  // lastModifiedDateTime as sent: the change key with `id`
  std::optional<WallTime> last_modified_at;
  std::size_t posts = 0;  // entries of `posts`
  std::string raw;        // the object's JSON, whitespace between tokens removed

  static constexpr std::size_t kMaxText = 300;
  static constexpr std::size_t kMaxId = 128;
};

struct ServiceIssuePage {
  std::vector<ServiceIssue> issues;  // in the order of the body
  std::string next_link;             // @odata.nextLink; empty on the last page
  std::size_t bad_items = 0;
  std::vector<std::string> problems;  // at most kMaxProblems sentences
  static constexpr std::size_t kMaxProblems = 20;
};

Result<ServiceIssuePage> parseServiceIssuePage(std::string_view body);

// One serviceHealth entry of healthOverviews: the current status of a service.
struct ServiceOverview {
  std::string id;       // "Exchange"
  std::string service;  // "Exchange Online"
  std::string status;   // "serviceOperational", "serviceDegradation", ...
};

struct ServiceOverviewPage {
  std::vector<ServiceOverview> services;
  std::string next_link;
  std::size_t bad_items = 0;
};

Result<ServiceOverviewPage> parseServiceOverviewPage(std::string_view body);

// Removes the whitespace between JSON tokens of a valid JSON text (string contents untouched).
std::string compactJson(std::string_view json);

}  // namespace o365fwd
