/// What logs may show of an order's personal data, its e-mail address: enough to tell two
/// addresses apart when helping someone, not enough to write to them. Spans show none of it.
enum PersonalData {
    /// `me@example.com` as `m***@e***.com`: the first character of the local part and of the
    /// domain, and the domain's last label.
    static func maskedEmail(_ address: String) -> String {
        guard let at = address.lastIndex(of: "@") else { return mask(address[...]) }
        let domain = address[address.index(after: at)...]
        var masked = mask(address[..<at]) + "@"
        if let dot = domain.lastIndex(of: "."), dot != domain.startIndex {
            masked += mask(domain[..<dot]) + domain[dot...]
        } else {
            masked += mask(domain)
        }
        return masked
    }

    private static func mask(_ part: Substring) -> String {
        (part.first.map(String.init) ?? "") + "***"
    }
}
