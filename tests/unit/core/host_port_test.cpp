#include "core/host_port.h"

#include <gtest/gtest.h>

namespace o365fwd {
namespace {

TEST(HostPort, ParsesHostAndPort) {
  auto hp = parseHostPort("[::1]:514");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->host, "::1");
  EXPECT_EQ(hp->port, 514);
  EXPECT_EQ(parseHostPort("siem.example.com:6514")->host, "siem.example.com");
  for (const char* bad : {"", "host", ":514", "host:0", "host:65536", "host:x", "::1:514", "[::1]",
                          "[::1]514", "a b:1"})
    EXPECT_FALSE(parseHostPort(bad)) << bad;
  for (const char* yes : {"localhost", "127.0.0.1", "127.255.0.9", "127.0.10.100", "::1"})
    EXPECT_TRUE(isLoopbackHost(yes)) << yes;
  for (const char* no : {"0.0.0.0", "127.0.0", "127.0.0.256", "128.0.0.1", "localhost.evil.com",
                         "127.0.0.1.evil.com", "::",
                         // found by fuzz/host_port_fuzzer.cpp: sign, octal and non-numbers
                         "127.0.0.-1", "127.080.2.6", "127.1.1.09", "127.010.0.1", "127.+1.0.1"})
    EXPECT_FALSE(isLoopbackHost(no)) << no;
}

TEST(HostPort, DomainNames) {
  EXPECT_TRUE(isDomainName("contoso.onmicrosoft.com"));
  EXPECT_TRUE(isDomainName("Contoso-1.example.COM"));
  EXPECT_FALSE(isDomainName("contoso"));
  EXPECT_FALSE(isDomainName("-bad.example.com"));
  EXPECT_FALSE(isDomainName("a..b"));
  EXPECT_FALSE(isDomainName("10.0.0.1"));
}

}  // namespace
}  // namespace o365fwd
