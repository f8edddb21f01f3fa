// parse_bench: throughput of parseBlob() (RapidJSON SAX, raw slices, field extraction) against a
// RapidJSON DOM parse (Document::Parse) of the same bytes, on a synthetic blob set generated in
// memory: records shaped like the public samples (AAD with ModifiedProperties/ExtendedProperties,
// Exchange items, SharePoint file operations with "\/" escapes, DLP with nested PolicyDetails),
// about 1 KB each. Also times the UTF-8 check parseBlob runs over every record (isValidUtf8 on the
// record spans, alone), on the ASCII set and on a copy where "contoso" is "cöntoso" (a two-byte
// sequence in most strings). Also times record filters (core/filters/record_filter.h) applied to
// each parsed blob, next to parse-only: a typical filter (domains, include Workload, exclude
// Operation and UserType), per record. Prints figures and the machine's load; not a pass/fail
// test.
//
//   parse_bench [records_per_blob=2000] [blobs=500] [rounds=3]
#include <rapidjson/document.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/filters/record_filter.h"
#include "core/random.h"
#include "core/utf8.h"
#include "pipeline/parse/blob_parser.h"

namespace {

using o365fwd::Random;

std::string guid(Random& r) {
  return r.guid();
}

std::string pad(Random& r, std::size_t n) {
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_.";
  std::string s;
  s.reserve(n);
  for (std::size_t i = 0; i < n; ++i) s += kChars[r.next() % (sizeof kChars - 1)];
  return s;
}

std::string record(Random& r, int i) {
  std::string common = R"({"CreationTime":"2025-01-14T09:)" + std::to_string(10 + i % 50) +
                       R"(:12","Id":")" + guid(r) + R"(","OrganizationId":")" + guid(r) + R"(",)";
  switch (i % 4) {
    case 0:  // Audit.AzureActiveDirectory
      return common +
             R"("Operation":"Update user.","RecordType":8,"ResultStatus":"Success","UserKey":"10037FFE8@contoso.onmicrosoft.com","UserType":0,"Version":1,"Workload":"AzureActiveDirectory","ClientIP":"81.2.69.144","ObjectId":"user@contoso.onmicrosoft.com","UserId":"admin@contoso.onmicrosoft.com","AzureActiveDirectoryEventType":1,"ExtendedProperties":[{"Name":"additionalDetails","Value":"{\"UserType\":\"Member\"}"},{"Name":"extendedAuditEventCategory","Value":"User"}],"ModifiedProperties":[{"Name":"AssignedLicense","NewValue":"[\r\n  \"[SKUName=ENTERPRISEPACK, AccountId=)" +
             guid(r) +
             R"(]\"\r\n]","OldValue":"[]"},{"Name":"Included Updated Properties","NewValue":"AssignedLicense","OldValue":""}],"Actor":[{"ID":"admin@contoso.onmicrosoft.com","Type":5},{"ID":")" +
             guid(r) + R"(","Type":2}],"Target":[{"ID":"User_)" + guid(r) +
             R"(","Type":2}],"Note":")" + pad(r, 120) + "\"}";
    case 1:  // Audit.Exchange
      return common +
             R"("Operation":"MailItemsAccessed","RecordType":50,"ResultStatus":"Succeeded","UserKey":"10032000A0C2B8F4","UserType":0,"Version":1,"Workload":"Exchange","ClientIP":"2001:db8::1","UserId":"user@contoso.com","AppId":")" +
             guid(r) +
             R"(","ClientInfoString":"Client=REST;Client=RESTSystem;;","ExternalAccess":false,"InternalLogonType":0,"LogonType":0,"MailboxGuid":")" +
             guid(r) +
             R"(","OperationCount":3,"Folders":[{"FolderItems":[{"InternetMessageId":"<)" +
             pad(r, 24) + R"(@contoso.com>","SizeInBytes":1156492.00},{"InternetMessageId":"<)" +
             pad(r, 24) + R"(@contoso.com>","SizeInBytes":27139}],"Id":"LgAAAAD)" + pad(r, 40) +
             R"(","Path":"\\Inbox"}],"Item":{"ParentFolder":{"Id":"LgAAAAB","Path":"\\Sent Items"},"Subject":")" +
             pad(r, 80) + R"("},"OriginatingServer":"AM6PR05MB1234 (15.20.1234.000)\r\n"})";
    case 2:  // Audit.SharePoint
      return common +
             R"("Operation":"FileAccessed","RecordType":6,"UserKey":"i:0h.f|membership|1003bffd@live.com","UserType":0,"Version":1,"Workload":"OneDrive","ClientIP":"89.160.20.112","ObjectId":"https:\/\/contoso-my.sharepoint.com\/personal\/user_contoso_com\/Documents\/)" +
             pad(r, 60) + R"(.docx","UserId":"user@contoso.com","CorrelationId":")" + guid(r) +
             R"(","EventSource":"SharePoint","ItemType":"File","ListId":")" + guid(r) +
             R"(","ListItemUniqueId":")" + guid(r) + R"(","Site":")" + guid(r) +
             R"(","UserAgent":"Mozilla\/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit\/537.36 (KHTML, like Gecko) Chrome\/120.0","WebId":")" +
             guid(r) +
             R"(","SourceFileExtension":"docx","SiteUrl":"https:\/\/contoso-my.sharepoint.com\/personal\/user_contoso_com\/","SourceFileName":")" +
             pad(r, 60) + R"(.docx","SourceRelativeUrl":"Documents\/)" + pad(r, 80) + "\"}";
    default:  // DLP.All
      return common +
             R"("Operation":"DlpRuleMatch","RecordType":13,"UserKey":"DlpAgent","UserType":4,"Version":1,"Workload":"Exchange","ObjectId":"<)" +
             pad(r, 30) + R"(@contoso.com>","UserId":"user@contoso.com","IncidentId":")" + guid(r) +
             R"(","PolicyDetails":[{"PolicyId":")" + guid(r) +
             R"(","PolicyName":"U.S. Financial Data","Rules":[{"Actions":["NotifyUser","BlockAccess"],"ConditionsMatched":{"ConditionMatchedInNewScheme":true,"SensitiveInformation":[{"Confidence":85,"Count":2,"Location":null,"SensitiveInformationTypeName":"Credit Card Number","SensitiveType":")" +
             guid(r) + R"("}]},"ManagementRuleId":")" + guid(r) + R"(","RuleId":")" + guid(r) +
             R"(","RuleMode":"Enable","RuleName":"Low volume","Severity":"Low"}]}],"SensitiveInfoDetectionIsIncluded":true,"ExchangeMetaData":{"BCC":[],"CC":[],"From":"user@contoso.com","MessageID":"<)" +
             pad(r, 30) + R"(>","RecipientCount":1,"Sent":"2025-01-14T09:40:00","Subject":")" +
             pad(r, 100) + R"(","To":["other@fabrikam.com"],"UniqueID":")" + guid(r) + "\"}}";
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int per_blob = argc > 1 ? std::atoi(argv[1]) : 2000;
  const int blobs = argc > 2 ? std::atoi(argv[2]) : 500;
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 3;
  o365fwd::SystemClock clock;
  Random random(20250114);

  std::vector<std::string> bodies;
  std::uint64_t total_bytes = 0;
  for (int b = 0; b < blobs; ++b) {
    std::string body = "[";
    for (int i = 0; i < per_blob; ++i) {
      if (i) body += b % 2 ? ",\n" : ",";
      body += record(random, b * per_blob + i);
    }
    body += "]";
    total_bytes += body.size();
    bodies.push_back(std::move(body));
  }
  const std::uint64_t total_records = static_cast<std::uint64_t>(blobs) * per_blob;
  std::printf("blob set: %d blobs x %d records = %llu records, %.1f MB, %.0f bytes/record\n", blobs,
              per_blob, static_cast<unsigned long long>(total_records), total_bytes / 1e6,
              static_cast<double>(total_bytes) / static_cast<double>(total_records));

  // A typical filter: two domains, four workloads, a noisy operation, no system accounts. Every
  // rule is evaluated for records of the listed domains.
  o365fwd::FilterConfig filter_config;
  filter_config.domains = {"contoso.com", "contoso.onmicrosoft.com"};
  filter_config.include.workload = {"AzureActiveDirectory", "Exchange", "SharePoint", "OneDrive"};
  filter_config.exclude.operation = {"FileAccessed"};
  filter_config.exclude.user_type = {4};
  const o365fwd::RecordFilter filter(filter_config);

  std::vector<double> sax_s, dom_s, filter_s;
  std::uint64_t kept = 0;
  o365fwd::ContentRef content;
  for (int round = 0; round < rounds; ++round) {
    double sax = 0, dom = 0, filtering = 0;
    std::uint64_t parsed = 0;
    kept = 0;
    for (std::string& body : bodies) {
      auto t0 = clock.steadyNow();
      auto result = o365fwd::parseBlob(std::move(body), content);
      auto t1 = clock.steadyNow();
      if (!result.ok()) {
        std::fprintf(stderr, "parse failed: %s\n", result.error().message.c_str());
        return 1;
      }
      parsed += result->size();
      auto f0 = clock.steadyNow();
      o365fwd::applyRecordFilter(filter, *result);
      auto f1 = clock.steadyNow();
      kept += result->size();
      filtering += std::chrono::duration<double>(f1 - f0).count();
      body = std::move(result->body);
      sax += std::chrono::duration<double>(t1 - t0).count();

      auto t2 = clock.steadyNow();
      rapidjson::Document doc;
      doc.Parse(body.c_str(), body.size());
      auto t3 = clock.steadyNow();
      if (doc.HasParseError() || doc.Size() != static_cast<rapidjson::SizeType>(per_blob)) {
        std::fprintf(stderr, "DOM parse failed\n");
        return 1;
      }
      dom += std::chrono::duration<double>(t3 - t2).count();
    }
    if (parsed != total_records) {
      std::fprintf(stderr, "record count mismatch: %llu\n",
                   static_cast<unsigned long long>(parsed));
      return 1;
    }
    sax_s.push_back(sax);
    dom_s.push_back(dom);
    filter_s.push_back(filtering);
    std::printf("round %d: parseBlob %.3f s, filters %.3f s, DOM %.3f s\n", round + 1, sax,
                filtering, dom);
  }
  double sax = *std::min_element(sax_s.begin(), sax_s.end());
  double dom = *std::min_element(dom_s.begin(), dom_s.end());
  std::printf("parseBlob (SAX, raw slices + fields): %.0f records/s, %.0f MB/s (best of %d)\n",
              static_cast<double>(total_records) / sax,
              static_cast<double>(total_bytes) / 1e6 / sax, rounds);
  std::printf("RapidJSON DOM Document::Parse:        %.0f records/s, %.0f MB/s (best of %d)\n",
              static_cast<double>(total_records) / dom,
              static_cast<double>(total_bytes) / 1e6 / dom, rounds);
  std::printf("ratio parseBlob/DOM throughput: %.2f\n", dom / sax);
  double filtering = *std::min_element(filter_s.begin(), filter_s.end());
  const double records = static_cast<double>(total_records);
  std::printf(
      "per record: parse %.0f ns, filters %.1f ns = %.1f %% of the parse (%llu of %llu "
      "records kept; best of %d)\n",
      1e9 * sax / records, 1e9 * filtering / records, 100.0 * filtering / sax,
      static_cast<unsigned long long>(kept), static_cast<unsigned long long>(total_records),
      rounds);
  if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
    char load[128] = {};
    if (std::fgets(load, sizeof load, f)) std::printf("load average during the run: %s", load);
    std::fclose(f);
  }

  // The UTF-8 check parseBlob includes, alone: same spans, best of `rounds`.
  auto timeUtf8 = [&](const std::vector<std::string>& set) {
    double best = 1e9;
    for (int round = 0; round < rounds; ++round) {
      std::uint64_t valid = 0;
      auto t0 = clock.steadyNow();
      // The whole body: the record spans parseBlob checks plus the few separator bytes.
      for (const std::string& body : set) valid += o365fwd::isValidUtf8(body) ? 1 : 0;
      auto t1 = clock.steadyNow();
      if (valid != set.size()) {
        std::fprintf(stderr, "UTF-8 check failed on a valid body\n");
        std::exit(1);
      }
      best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
    }
    return best;
  };
  std::vector<std::string> accented = bodies;
  std::uint64_t accented_bytes = 0;
  for (std::string& body : accented) {
    for (std::size_t at = 0; (at = body.find("contoso", at)) != std::string::npos; at += 8)
      body.replace(at, 7, "c\xC3\xB6ntoso");
    accented_bytes += body.size();
  }
  double ascii_s = timeUtf8(bodies);
  double accented_s = timeUtf8(accented);
  std::printf("isValidUtf8, ASCII set:             %.0f MB/s = %.1f %% of parseBlob's time\n",
              static_cast<double>(total_bytes) / 1e6 / ascii_s, 100.0 * ascii_s / sax);
  std::printf("isValidUtf8, \"c\xC3\xB6ntoso\" set:        %.0f MB/s (%.1f MB)\n",
              static_cast<double>(accented_bytes) / 1e6 / accented_s, accented_bytes / 1e6);
  return 0;
}
