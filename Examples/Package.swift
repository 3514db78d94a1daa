// swift-tools-version:6.0
import Foundation
import PackageDescription

/// Programs that use the libraries the way another Swift tool would, one per library. The
/// README's "Using the libraries" shows them as they are here, and the test command builds them
/// and runs them against the local servers (scripts/check/examples.sh), so the docs cannot rot.
///
/// Your own package depends on order-pipeline by URL or by path, and names its products with the
/// package's identity, the last component of that URL or path:
///
///     dependencies: [.package(path: "../order-pipeline")],
///     targets: [.executableTarget(name: "tool", dependencies: [.product(name: "RESP", package: "order-pipeline")])]
///
/// Here the path is "..", whose identity is the name of the folder the repository was cloned
/// into; it is read here rather than assumed.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

func products(_ names: String...) -> [Target.Dependency] {
    names.map { .product(name: $0, package: root) }
}

let package = Package(
    name: "order-pipeline-examples",
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(name: "redis-example", dependencies: products("RESP"), swiftSettings: [.swiftLanguageMode(.v6)]),
        .executableTarget(name: "amqp-example", dependencies: products("AMQP091"), swiftSettings: [.swiftLanguageMode(.v6)]),
        .executableTarget(name: "http-example", dependencies: products("HTTPServer"), swiftSettings: [.swiftLanguageMode(.v6)]),
        .executableTarget(name: "tracing-example", dependencies: products("Tracing"), swiftSettings: [.swiftLanguageMode(.v6)]),
    ]
)
