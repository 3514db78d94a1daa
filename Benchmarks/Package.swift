// swift-tools-version:6.0
import Foundation
import PackageDescription

/// The benchmarks, the fault-injection tool and the fuzzer: a package of their own, so a package
/// that depends on order-pipeline builds only its libraries and services. They use the root
/// package's public products, like any other client would.
///
/// A path dependency is identified by the name of its folder, which is whatever the repository
/// was cloned as; it is read here rather than assumed.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

/// Every target builds in Swift 6 language mode, so strict concurrency checking is on everywhere.
let swift6: [SwiftSetting] = [.swiftLanguageMode(.v6)]

func products(_ names: String...) -> [Target.Dependency] {
    names.map { .product(name: $0, package: root) }
}

let package = Package(
    name: "order-pipeline-benchmarks",
    dependencies: [.package(path: "..")],
    targets: [
        .target(name: "Fuzzing", dependencies: products("RESP", "AMQP091", "AMQP091Reflection", "HTTPServer", "Bytes"), swiftSettings: swift6),
        .executableTarget(name: "fuzz", dependencies: ["Fuzzing"] + products("CommandLineOptions"), swiftSettings: swift6),
        .executableTarget(name: "chaos", dependencies: products("RESP", "AMQP091", "Transport", "Bytes", "CommandLineOptions", "Services"), swiftSettings: swift6),
        .executableTarget(name: "amqp-bench", dependencies: products("AMQP091", "Bytes", "CommandLineOptions"), swiftSettings: swift6),
        .executableTarget(name: "http-bench", dependencies: products("HTTPServer", "Bytes", "CommandLineOptions"), swiftSettings: swift6),
        .executableTarget(name: "http-idle-bench", dependencies: products("HTTPServer", "Transport", "Bytes", "CommandLineOptions"), swiftSettings: swift6),
        .executableTarget(name: "http-server-bench", dependencies: products("HTTPServer", "Bytes", "CommandLineOptions"), swiftSettings: swift6),
        .executableTarget(name: "resp-bench", dependencies: products("RESP", "Bytes", "Transport", "CommandLineOptions"), swiftSettings: swift6),
        .executableTarget(name: "tracing-bench", dependencies: products("Tracing", "CommandLineOptions"), swiftSettings: swift6),
        .executableTarget(name: "transport-bench", dependencies: products("Transport", "Bytes", "CommandLineOptions"), swiftSettings: swift6),
        .executableTarget(name: "ws-bench", dependencies: products("HTTPServer", "Bytes", "CommandLineOptions"), swiftSettings: swift6),
        .testTarget(name: "FuzzingTests", dependencies: ["Fuzzing"], swiftSettings: swift6),
    ]
)
