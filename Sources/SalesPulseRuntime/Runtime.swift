public enum SalesPulseRuntime {}
