#include "app/validate/validate_filters.h"

#include <rapidjson/document.h>

#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <thread>

#include "app/status/status_table.h"
#include "app/validate/check_steps.h"
#include "core/filters/record_filter.h"
#include "pipeline/parse/blob_parser.h"

namespace o365fwd {
namespace {

using namespace validate_steps;

// One blob download with its own deadline (the API client retries throttling for minutes).
Result<HttpResponse> fetchWithDeadline(TenantRuntime& tr, const std::string& uri) {
  std::stop_source deadline;
  std::jthread timer_thread([&deadline](std::stop_token cancel) {
    std::mutex mu;
    std::condition_variable_any cv;
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, cancel, kFilterSampleDeadline, [] { return false; }))
      if (!cancel.stop_requested()) deadline.request_stop();
  });
  auto res = tr.api->call(ApiCall::kBlob, "GET", uri, deadline.get_token());
  timer_thread.request_stop();
  timer_thread.join();
  return res;
}

std::string describeRules(const FilterConfig& f) {
  std::string out;
  auto add = [&](const std::string& part) { out += (out.empty() ? "" : ", ") + part; };
  if (!f.allDomains()) add(std::to_string(f.domains.size()) + " domain(s)");
  auto lists = [&](const FilterLists& l, const char* what) {
    std::size_t n =
        l.operation.size() + l.workload.size() + l.record_type.size() + l.user_type.size();
    if (n > 0) add(std::string(what) + " " + std::to_string(n) + " value(s)");
  };
  lists(f.include, "include");
  lists(f.exclude, "exclude");
  return out;
}

}  // namespace

std::vector<std::string> sampleContentUris(std::string_view listing_body, std::size_t max) {
  std::vector<std::string> out;
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(listing_body.data(), listing_body.size());
  if (doc.HasParseError() || !doc.IsArray()) return out;
  for (const auto& item : doc.GetArray()) {
    if (out.size() >= max) break;
    if (!item.IsObject()) continue;
    auto uri = item.FindMember("contentUri");
    if (uri != item.MemberEnd() && uri->value.IsString()) out.emplace_back(uri->value.GetString());
  }
  return out;
}

std::string filterSampleDetail(std::uint64_t admitted, std::uint64_t records, std::size_t blobs,
                               std::size_t failed) {
  std::string detail =
      "would forward " + groupedCount(admitted) + " of " + groupedCount(records) + " records";
  if (records > 0)
    detail += " (" +
              std::to_string(static_cast<int>(
                  100.0 * static_cast<double>(admitted) / static_cast<double>(records) + 0.5)) +
              " %)";
  detail += " in a sample of " + std::to_string(blobs) + " blob" + (blobs == 1 ? "" : "s") +
            " of the last hour";
  if (failed > 0)
    detail += "; " + std::to_string(failed) + " more could not be downloaded or parsed";
  return detail;
}

void checkFilterSample(ValidationContext& ctx, TenantRuntime& tr, const TenantConfig& t,
                       const std::vector<SampleBlob>& blobs) {
  RecordFilter filter(t.filters);
  if (filter.admitsAll()) return;
  Timer timer(ctx.clock);
  CheckResult c = make("filters", t.name);
  c.tenant = t.name;
  const std::string rules = describeRules(t.filters);
  if (blobs.empty()) {
    c.status = CheckResult::kSkip;
    c.code = "no_content_to_sample";
    c.detail =
        "record filters (" + rules + ") not tried: the one-hour listing found no content to sample";
    push(ctx, std::move(c), timer);
    return;
  }
  std::uint64_t records = 0, admitted = 0;
  std::size_t sampled = 0, failed = 0;
  for (const SampleBlob& blob : blobs) {
    auto res = fetchWithDeadline(tr, blob.content_uri);
    if (!res.ok()) {
      ++failed;
      continue;
    }
    ContentRef ref;
    ref.stream = StreamKey{t.name, blob.content_type};
    auto batch = parseBlob(std::move(res->body), ref);
    if (!batch.ok()) {
      ++failed;
      continue;
    }
    ++sampled;
    records += batch->size();
    for (std::size_t i = 0; i < batch->size(); ++i)
      admitted += filter.admits(filterFields(*batch, i)) ? 1 : 0;
  }
  c.detail =
      "record filters (" + rules + "): " + filterSampleDetail(admitted, records, sampled, failed);
  if (sampled > 0 && records > 0 && admitted == 0) {
    c.status = CheckResult::kWarn;
    c.code = "filters_drop_everything";
    c.remedy =
        "no sampled record passes the filters; check `domains` against the UserId values of your "
        "records (user@domain) and the include lists' spelling";
  } else if (sampled == 0) {
    c.status = CheckResult::kSkip;
    c.code = "sample_unavailable";
  }
  push(ctx, std::move(c), timer);
}

}  // namespace o365fwd
