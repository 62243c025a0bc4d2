/// Evidence attached to a completed action ("actions leave traces"): each part optional here;
/// which parts an action requires is process configuration.
public struct Evidence: Sendable, Hashable, Codable {
    /// A photo: content hash and capture time (from the camera, not the upload).
    public struct Photo: Sendable, Hashable, Codable {
        public var hash: String
        public var capturedAt: EventTime
        public init(hash: String, capturedAt: EventTime) { self.hash = hash; self.capturedAt = capturedAt }
    }
    /// A GPS fix with its accuracy radius in metres.
    public struct Location: Sendable, Hashable, Codable {
        public var latitude: Double
        public var longitude: Double
        public var accuracyMeters: Double
        public init(latitude: Double, longitude: Double, accuracyMeters: Double) {
            self.latitude = latitude; self.longitude = longitude; self.accuracyMeters = accuracyMeters
        }
    }
    /// An uploaded document with its version.
    public struct Attachment: Sendable, Hashable, Codable {
        public var name: String
        public var version: String
        public init(name: String, version: String) { self.name = name; self.version = version }
    }
    /// A product reference with the expected quantity.
    public struct SKUReference: Sendable, Hashable, Codable {
        public var sku: String
        public var quantity: Double
        public init(sku: String, quantity: Double) { self.sku = sku; self.quantity = quantity }
    }

    public var photo: Photo?
    public var location: Location?
    public var attachment: Attachment?
    public var text: String?
    public var skus: [SKUReference]

    /// Creates evidence.
    public init(photo: Photo? = nil, location: Location? = nil, attachment: Attachment? = nil, text: String? = nil, skus: [SKUReference] = []) {
        self.photo = photo
        self.location = location
        self.attachment = attachment
        self.text = text
        self.skus = skus
    }

    /// No evidence at all.
    public static let none = Evidence()
}
