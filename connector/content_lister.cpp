#include "connector/content_lister.h"

#include <algorithm>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_set>

#include "connector/content_page_parser.h"
#include "core/logging.h"
#include "core/time_format.h"

namespace o365fwd {
namespace {

std::string windowText(const ListingWindow& w) {
  return "[" + formatApiTime(w.start) + ", " + formatApiTime(w.end) + ")";
}

std::string firstPageUrl(const StreamKey& stream, const ListingWindow& w) {
  return "subscriptions/content?contentType=" + encodeQueryValue(stream.content_type) +
         "&startTime=" + formatApiTime(w.start) + "&endTime=" + formatApiTime(w.end);
}

// NextPageUri (documented), or NextPageUrl (the troubleshooting guide's spelling); any case.
std::optional<std::string> nextPageOf(const HttpResponse& response) {
  auto header = response.header("NextPageUri");
  if (!header) header = response.header("NextPageUrl");
  if (!header) return std::nullopt;
  std::string_view v = *header;
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r'))
    v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  return std::string(v);
}

std::string skewText(std::chrono::seconds skew) {
  if (skew.count() == 0) return "the local clock agrees with the API's Date header";
  return "the local clock is " + std::to_string(skew.count() < 0 ? -skew.count() : skew.count()) +
         " s " + (skew.count() > 0 ? "behind" : "ahead of") + " the API's Date header";
}

}  // namespace

ContentLister::ContentLister(ApiClient& api, SubscriptionManager& subscriptions, Clock& clock)
    : ContentLister(api, subscriptions, clock, Options{}) {}

ContentLister::ContentLister(ApiClient& api, SubscriptionManager& subscriptions, Clock& clock,
                             Options options)
    : api_(api), subscriptions_(subscriptions), clock_(clock), options_(options) {}

Result<WindowListing> ContentLister::listWindow(const StreamKey& stream, ListingWindow window,
                                                const PageHandler& on_page, std::stop_token stop) {
  const std::string where = stream.str() + " window " + windowText(window);
  if (window.end <= window.start || window.end - window.start > std::chrono::hours(24)) {
    return Error::permanent(ErrorKind::kInternal,
                            "Refusing to list " + where +
                                ": a window must be non-empty and at most 24 h long (longer ones "
                                "return silently partial results)");
  }
  auto log = getLogger("connector.lister");
  const SteadyTime started = clock_.steadyNow();
  const std::string first_url = firstPageUrl(stream, window);

  WindowListing stats;
  std::unordered_set<std::string> passed;  // content ids handed to on_page in this call
  bool loop_restarted = false;
  bool subscription_retried = false;
  std::size_t invalid_page_restarts = 0;

  for (;;) {  // one pass over the window, from its start
    std::unordered_set<std::string> next_seen;
    std::size_t pass_pages = 0;
    std::string url = first_url;
    std::string restart_reason;

    while (restart_reason.empty()) {
      if (stop.stop_requested()) {
        return Error::permanent(ErrorKind::kCancelled, "Listing " + where + " stopped");
      }
      auto response = api_.call(ApiCall::kContentList, "GET", url, stop);
      if (!response) {
        Error error = std::move(response).takeError();
        if (error.code == "AF20022") {
          if (subscription_retried) {
            error.retryable = true;
            error.message = "Listing " + where +
                            " failed: still no subscription after starting "
                            "it (" +
                            error.message + "); it is retried next cycle";
            return error;
          }
          subscription_retried = true;
          log->warn("No subscription for the content type; starting it. stream={}", stream.str());
          subscriptions_.noteMissing(stream.content_type);
          auto enabled = subscriptions_.ensureEnabled(stream.content_type, stop);
          if (!enabled) return std::move(enabled).takeError();
          restart_reason = "subscription started after AF20022";
        } else if (error.code == "AF20031") {
          if (invalid_page_restarts >= options_.max_window_restarts) {
            error.retryable = true;
            error.message = "Listing " + where + " failed: the API rejected its nextPage token " +
                            std::to_string(invalid_page_restarts + 1) + " times (" + error.message +
                            "); the window is listed again next cycle";
            return error;
          }
          ++invalid_page_restarts;
          restart_reason = "invalid nextPage (AF20031)";
        } else if (error.code == "AF20030" || error.code == "AF20055") {
          return Error::permanent(
              ErrorKind::kApi,
              "The API rejected the listing window of " + where + " (" + error.message +
                  "): a window must start less than 7 days ago and span at most 24 h; " +
                  skewText(api_.clockSkew()) +
                  ". Check the host clock (NTP); windows are recomputed with the current skew "
                  "next cycle",
              error.code);
        } else if (error.code == "AF20023" || error.code == "AuditingDisabled" ||
                   error.code == "AF10001") {
          return annotateSubscriptionError(std::move(error), "Listing " + where, stream.tenant,
                                           stream.content_type);
        } else {
          return error;
        }
        continue;
      }

      ++stats.pages;
      ++pass_pages;
      auto page = parseContentPage(response->body, stream);
      if (!page) return std::move(page).takeError();
      if (page->bad_items > 0) {
        stats.bad_items += page->bad_items;
        log->error(
            "Content list items cannot be used; their blobs are not collected. stream={} "
            "window={} page={} bad_items={} first_problem=\"{}\"",
            stream.str(), windowText(window), stats.pages, page->bad_items,
            page->problems.empty() ? "" : page->problems.front());
      }
      std::vector<ContentRef> fresh;
      fresh.reserve(page->refs.size());
      std::size_t repeats = 0;
      for (auto& ref : page->refs) {
        if (passed.insert(ref.content_id).second) {
          fresh.push_back(std::move(ref));
        } else {
          ++repeats;
        }
      }
      std::sort(fresh.begin(), fresh.end(), [](const ContentRef& a, const ContentRef& b) {
        return std::tie(a.created, a.content_id) < std::tie(b.created, b.content_id);
      });
      stats.repeats_skipped += repeats;
      stats.blobs_listed += fresh.size();
      auto next = nextPageOf(*response);
      log->debug("Listed a content page. stream={} window={} page={} new={} repeats={} more={}",
                 stream.str(), windowText(window), stats.pages, fresh.size(), repeats,
                 next ? "yes" : "no");
      if (!fresh.empty()) {
        auto handled = on_page(std::move(fresh));
        if (!handled) return std::move(handled).takeError();
      }

      if (!next) {
        // DEBUG: one line per stream per poll would be ~1 MB a minute for 1,000 tenants; the
        // collector logs a polling summary instead.
        log->debug(
            "Listed window. stream={} window={} pages={} blobs={} repeats={} restarts={} "
            "bad_items={} elapsed_ms={}",
            stream.str(), windowText(window), stats.pages, stats.blobs_listed,
            stats.repeats_skipped, stats.restarts, stats.bad_items,
            std::chrono::duration_cast<std::chrono::milliseconds>(clock_.steadyNow() - started)
                .count());
        return stats;
      }
      const bool repeated = next_seen.count(*next) > 0;
      if (repeated || pass_pages >= options_.max_pages_per_window) {
        const std::string reason =
            repeated ? "a NextPageUri repeated"
                     : "more than " + std::to_string(options_.max_pages_per_window) + " pages";
        if (loop_restarted) {
          return Error::retryableError(ErrorKind::kApi,
                                       "Listing " + where + " gave up: the API's pagination " +
                                           "looped again after a restart (" + reason +
                                           "); the window is listed again next cycle",
                                       "pagination_loop");
        }
        loop_restarted = true;
        restart_reason = "pagination loop: " + reason;
        continue;
      }
      next_seen.insert(*next);
      url = std::move(*next);
    }

    ++stats.restarts;
    log->warn(
        "Listing the window again from its start. stream={} window={} reason=\"{}\" "
        "restarts={}",
        stream.str(), windowText(window), restart_reason, stats.restarts);
  }
}

}  // namespace o365fwd
