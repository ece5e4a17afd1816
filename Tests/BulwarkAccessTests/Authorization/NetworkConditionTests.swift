import BulwarkAccess
import Testing

@Test(arguments: [
    ("10.0.0.0/8", "10.255.1.2", true), ("10.0.0.0/8", "11.0.0.1", false), ("192.168.1.128/25", "192.168.1.200", true),
    ("192.168.1.128/25", "192.168.1.127", false), ("0.0.0.0/0", "203.0.113.9", true), ("203.0.113.9/32", "203.0.113.9", true),
    ("203.0.113.9/32", "203.0.113.8", false), ("2001:db8::/32", "2001:db8:ffff::1", true), ("2001:db8::/32", "2001:db9::1", false),
    ("fe80::/10", "febf::1", true), ("fe80::/10", "fec0::1", false), ("::1/128", "::1", true), ("::/0", "2001:db8::1", true),
    ("::/0", "10.0.0.1", false), ("0.0.0.0/0", "::1", false),
    // IPv4-mapped IPv6 clients match IPv4 networks, and a mapped network is its IPv4 network.
    ("10.0.0.0/8", "::ffff:10.1.2.3", true), ("::ffff:10.0.0.0/104", "10.9.9.9", true), ("::ffff:10.0.0.0/104", "11.0.0.1", false),
])
func networkMembership(cidr: String, address: String, expected: Bool) throws {
    let network = try #require(IPNetwork(cidr))
    let client = try #require(IPAddress(address))
    #expect(network.contains(client) == expected)
}

@Test(arguments: ["10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0.1/8", "10.0.0/8", "010.0.0.0/8", "10.0.0.0/-1", "10.0.0.0/8/8",
                  "2001:db8::/129", "2001:db8::1/32", "2001:db8:::/32", "fe80::1%eth0/64", "example.com/8", "::ffff:10.0.0.0/64", ""])
func networkRejectsMalformedCIDR(cidr: String) {
    #expect(IPNetwork(cidr) == nil)
}

@Test func networkConditionInPolicyCoversIPv4AndIPv6() throws {
    let policy = try Policy(yaml: """
    version: 1
    roles:
      ops: []
    rules:
      - id: internal-only
        effect: allow
        actions: [audit.export]
        roles: [ops]
        when:
          - network: [10.0.0.0/8, "fd00::/8"]
    """)
    let ops = Principal(id: "o", roles: ["ops"])
    let audit = Resource(type: "audit")
    func allowed(_ address: String?) -> Bool {
        policy.evaluate(principal: ops, action: .auditExport, resource: audit, context: AuthorizationFixtures.context(address: address)).allowed
    }
    #expect(allowed("10.20.30.40"))
    #expect(allowed("fd12:3456::9"))
    #expect(allowed("::ffff:10.0.0.1"))
    #expect(!allowed("192.0.2.1"))
    #expect(!allowed("fe80::1"))
    #expect(!allowed(nil))
}

@Test func networkKeepsItsTextAndMappedPrefix() throws {
    let mapped = try #require(IPNetwork("::ffff:10.0.0.0/104"))
    #expect(mapped.description == "::ffff:10.0.0.0/104")
    #expect(mapped.prefixLength == 8)
    #expect(mapped.address.bytes == [10, 0, 0, 0])
    #expect(try #require(IPAddress("2001:db8::1")).bytes.count == 16)
}
