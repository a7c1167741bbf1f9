//! Which hosts are on a private network: a webhook there may reach a router's admin page or a
//! cloud metadata service instead of a log receiver, so sending to one needs the user's word.

use std::net::Ipv4Addr;

/// What kind of private address `host` (lower case, as [`crate::url::WebUrl`] keeps it) is,
/// in words; `None` for a public host or this computer's loopback (allowed as it is).
pub fn private_host_kind(host: &str) -> Option<&'static str> {
    if let Some(ip) = ipv4(host) {
        return ipv4_kind(ip);
    }
    let name = host.trim_end_matches('.');
    let under = |suffix: &str| name == suffix || name.ends_with(&format!(".{suffix}"));
    if name == "metadata.google.internal" || name == "instance-data" {
        return Some("a cloud metadata service");
    }
    ["internal", "local", "lan", "home.arpa", "intranet", "corp"]
        .iter()
        .any(|suffix| under(suffix))
        .then_some("a local network name")
}

fn ipv4_kind(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    match (a, b) {
        (127, _) => None, // this computer: allowed (plain http too, for development)
        (169, 254) => Some("a link-local address (cloud metadata services live there)"),
        (10, _) | (192, 168) => Some("a private network address"),
        (172, 16..=31) => Some("a private network address"),
        (100, 64..=127) => Some("a shared (carrier-grade NAT) address"),
        (0, _) => Some("an unspecified address"),
        _ => None,
    }
}

/// An IPv4 address as the WHATWG URL parser reads a host: one to four parts, each decimal,
/// `0x` hex or `0` octal, the last filling the remaining bytes (`2852039166`, `0xa9fea9fe`,
/// `169.254.43518` all name 169.254.169.254). `None` when the host is a name.
fn ipv4(host: &str) -> Option<Ipv4Addr> {
    let host = host.strip_suffix('.').unwrap_or(host);
    let parts: Vec<&str> = host.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let numbers: Vec<u64> = parts
        .iter()
        .map(|p| ipv4_number(p))
        .collect::<Option<_>>()?;
    let (last, leading) = numbers.split_last()?;
    if leading.iter().any(|n| *n > 255) || *last >= 256u64.pow(5 - numbers.len() as u32) {
        return None;
    }
    let mut value = *last;
    for (i, n) in leading.iter().enumerate() {
        value += n << (8 * (3 - i));
    }
    u32::try_from(value).ok().map(Ipv4Addr::from)
}

fn ipv4_number(part: &str) -> Option<u64> {
    let (digits, radix) = match part {
        "" => return None,
        p if p.starts_with("0x") || p.starts_with("0X") => (&p[2..], 16),
        p if p.len() > 1 && p.starts_with('0') => (&p[1..], 8),
        p => (p, 10),
    };
    if digits.is_empty() {
        return Some(0); // "0x" alone is zero
    }
    u64::from_str_radix(digits, radix).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_and_private_addresses_in_every_spelling_are_private() {
        for host in [
            "169.254.169.254",
            "2852039166",
            "0xa9fea9fe",
            "0251.0376.0251.0376",
            "169.254.43518",
            "10.0.0.1",
            "172.20.1.1",
            "192.168.1.1",
            "100.64.0.1",
            "0.0.0.0",
            "metadata.google.internal",
            "printer.local",
            "nas.home.arpa",
        ] {
            assert!(private_host_kind(host).is_some(), "{host}");
        }
    }

    #[test]
    fn public_hosts_and_this_computer_are_not() {
        for host in [
            "hooks.example.com",
            "8.8.8.8",
            "172.32.0.1",
            "127.0.0.1",
            "localhost",
            "internal.example.com",
            "1.2.3.4.5",
            "256.1.1.1",
        ] {
            assert_eq!(private_host_kind(host), None, "{host}");
        }
    }
}
