import SalesPulseModel

/// Checks evidence against an action's requirement (pure).
public enum EvidenceCheck {
    /// The reasons the evidence fails the requirement (empty when it satisfies it) and a summary
    /// of what satisfied it.
    public static func check(_ evidence: Evidence, against requirement: EvidenceRequirement, actionTime: EventTime) -> (problems: [String], summary: [String]) {
        var problems: [String] = []
        var summary: [String] = []
        if requirement.photo {
            if let photo = evidence.photo {
                if let maxAge = requirement.photoMaxAgeMilliseconds, actionTime.epochMilliseconds - photo.capturedAt.epochMilliseconds > maxAge {
                    problems.append("photo captured \(DurationText.text(actionTime.epochMilliseconds - photo.capturedAt.epochMilliseconds)) before the action, more than \(DurationText.text(maxAge)) allowed")
                } else if photo.capturedAt.epochMilliseconds > actionTime.epochMilliseconds + 60_000 {
                    problems.append("photo capture time \(photo.capturedAt) is after the action")
                } else {
                    summary.append("photo \(photo.hash) at \(photo.capturedAt)")
                }
            } else {
                problems.append("photo missing")
            }
        }
        if let maxAccuracy = requirement.locationMaxAccuracyMeters {
            if let location = evidence.location {
                if location.accuracyMeters > maxAccuracy {
                    problems.append("location accuracy \(format(location.accuracyMeters)) m > \(format(maxAccuracy)) m allowed")
                } else {
                    summary.append("location \(location.latitude),\(location.longitude) ±\(format(location.accuracyMeters)) m")
                }
            } else {
                problems.append("location missing")
            }
        }
        if requirement.attachment {
            if let attachment = evidence.attachment {
                summary.append("attachment \(attachment.name) \(attachment.version)")
            } else {
                problems.append("attachment missing")
            }
        }
        if let bounds = requirement.textLength {
            if let text = evidence.text {
                let length = text.count
                if length < bounds.lowerBound {
                    problems.append("text has \(length) characters, at least \(bounds.lowerBound) required")
                } else if length > bounds.upperBound {
                    problems.append("text has \(length) characters, at most \(bounds.upperBound) allowed")
                } else {
                    summary.append("text (\(length) characters)")
                }
            } else {
                problems.append("text missing")
            }
        }
        if requirement.skus {
            if evidence.skus.isEmpty {
                problems.append("SKU references missing")
            } else {
                summary.append("SKUs " + evidence.skus.map { "\($0.sku)×\(format($0.quantity))" }.joined(separator: ", "))
            }
        }
        return (problems, summary)
    }

    static func format(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
