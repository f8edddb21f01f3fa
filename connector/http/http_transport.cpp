#include "connector/http/http_transport.h"

#include <cctype>
#include <future>
#include <memory>

namespace o365fwd {

std::optional<std::string_view> HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < key.size() && same; ++i)
      same = std::tolower(static_cast<unsigned char>(key[i])) ==
             std::tolower(static_cast<unsigned char>(name[i]));
    if (same) return std::string_view(value);
  }
  return std::nullopt;
}

Result<HttpResponse> executeBlocking(HttpTransport& transport, HttpRequest request) {
  auto promise = std::make_shared<std::promise<Result<HttpResponse>>>();
  auto future = promise->get_future();
  transport.submit(std::move(request), [promise](Result<HttpResponse> result) {
    promise->set_value(std::move(result));
  });
  return future.get();
}

}  // namespace o365fwd
