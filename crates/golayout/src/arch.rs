//! Per-GOARCH word size and maximum alignment, as Go 1.19's gc toolchain uses them.
//!
//! Go: `cmd/internal/sys/arch.go` (`PtrSize`, `RegSize`) and each back end's
//! `galign.go` (`MAXWIDTH`). Every 32-bit target has `PtrSize = RegSize = 4`;
//! every 64-bit target `PtrSize = RegSize = 8`. `RegSize` is the largest
//! alignment gc ever gives a basic type: it is why `int64` is only 4-aligned on
//! 386, arm and mips.

use core::fmt;
use core::str::FromStr;

/// A `GOARCH` of the gc toolchain.
///
/// # Examples
///
/// ```
/// use golayout::Arch;
/// let a: Arch = "386".parse().unwrap();
/// assert_eq!((a.ptr_size(), a.max_align()), (4, 4));
/// assert_eq!(Arch::Amd64.name(), "amd64");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[doc(alias = "GOARCH")]
pub enum Arch {
    /// `386`: 32-bit x86.
    I386,
    /// `amd64`: 64-bit x86.
    Amd64,
    /// `arm`: 32-bit ARM.
    Arm,
    /// `arm64`: AArch64.
    Arm64,
    /// `loong64`: 64-bit LoongArch.
    Loong64,
    /// `mips`: 32-bit MIPS, big endian.
    Mips,
    /// `mipsle`: 32-bit MIPS, little endian.
    Mipsle,
    /// `mips64`: 64-bit MIPS, big endian.
    Mips64,
    /// `mips64le`: 64-bit MIPS, little endian.
    Mips64le,
    /// `ppc64`: 64-bit POWER, big endian.
    Ppc64,
    /// `ppc64le`: 64-bit POWER, little endian.
    Ppc64le,
    /// `riscv64`: 64-bit RISC-V.
    Riscv64,
    /// `s390x`: IBM Z.
    S390x,
    /// `wasm`: WebAssembly (GOOS=js).
    Wasm,
}

impl Arch {
    /// Every GOARCH, in the order of [`Arch`]'s variants.
    ///
    /// ```
    /// assert_eq!(golayout::Arch::ALL.len(), 14);
    /// ```
    pub const ALL: [Arch; 14] = [
        Arch::I386,
        Arch::Amd64,
        Arch::Arm,
        Arch::Arm64,
        Arch::Loong64,
        Arch::Mips,
        Arch::Mipsle,
        Arch::Mips64,
        Arch::Mips64le,
        Arch::Ppc64,
        Arch::Ppc64le,
        Arch::Riscv64,
        Arch::S390x,
        Arch::Wasm,
    ];

    /// The `GOARCH` spelling.
    ///
    /// ```
    /// assert_eq!(golayout::Arch::I386.name(), "386");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Arch::I386 => "386",
            Arch::Amd64 => "amd64",
            Arch::Arm => "arm",
            Arch::Arm64 => "arm64",
            Arch::Loong64 => "loong64",
            Arch::Mips => "mips",
            Arch::Mipsle => "mipsle",
            Arch::Mips64 => "mips64",
            Arch::Mips64le => "mips64le",
            Arch::Ppc64 => "ppc64",
            Arch::Ppc64le => "ppc64le",
            Arch::Riscv64 => "riscv64",
            Arch::S390x => "s390x",
            Arch::Wasm => "wasm",
        }
    }

    /// Looks an arch up by its `GOARCH` spelling.
    ///
    /// ```
    /// use golayout::Arch;
    /// assert_eq!(Arch::from_name("arm64"), Some(Arch::Arm64));
    /// assert_eq!(Arch::from_name("x86"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Arch> {
        Arch::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// Index of this arch in [`Arch::ALL`].
    ///
    /// ```
    /// assert_eq!(golayout::Arch::Wasm.index(), 13);
    /// ```
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Size of a pointer in bytes. Go: `PtrSize`.
    ///
    /// ```
    /// assert_eq!(golayout::Arch::Arm.ptr_size(), 4);
    /// ```
    pub const fn ptr_size(self) -> u64 {
        match self {
            Arch::I386 | Arch::Arm | Arch::Mips | Arch::Mipsle => 4,
            _ => 8,
        }
    }

    /// The largest alignment gc gives a basic type. Go: `RegSize`.
    ///
    /// ```
    /// assert_eq!(golayout::Arch::Mips.max_align(), 4);
    /// assert_eq!(golayout::Arch::S390x.max_align(), 8);
    /// ```
    pub const fn max_align(self) -> u64 {
        self.ptr_size()
    }

    /// Whether this is a 32-bit target (where plain 64-bit fields are only 4-aligned).
    ///
    /// ```
    /// assert!(golayout::Arch::I386.is_32bit());
    /// ```
    pub const fn is_32bit(self) -> bool {
        self.ptr_size() == 4
    }

    /// The largest object size the back end accepts. Go: `MAXWIDTH` (`galign.go`).
    ///
    /// ```
    /// assert_eq!(golayout::Arch::Amd64.max_width(), 1 << 50);
    /// ```
    pub const fn max_width(self) -> u64 {
        match self {
            Arch::I386 | Arch::Arm => (1 << 32) - 1,
            Arch::Mips | Arch::Mipsle => (1 << 31) - 1,
            _ => 1 << 50,
        }
    }

    /// The `GOOS` used when reading build constraints for this arch (`js` for wasm, else `linux`).
    ///
    /// ```
    /// assert_eq!(golayout::Arch::Wasm.goos(), "js");
    /// ```
    pub const fn goos(self) -> &'static str {
        match self {
            Arch::Wasm => "js",
            _ => "linux",
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing an unknown `GOARCH`.
///
/// ```
/// assert!("vax".parse::<golayout::Arch>().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownArch;

impl fmt::Display for UnknownArch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown GOARCH")
    }
}

impl core::error::Error for UnknownArch {}

impl FromStr for Arch {
    type Err = UnknownArch;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Arch::from_name(s).ok_or(UnknownArch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_sizes_match_arch_go() {
        for a in Arch::ALL {
            assert_eq!(Arch::from_name(a.name()), Some(a));
            assert_eq!(Arch::ALL[a.index()], a);
        }
        let thirty_two: usize = Arch::ALL.iter().filter(|a| a.is_32bit()).count();
        assert_eq!(thirty_two, 4);
    }
}
