//! Iteration over a [`Slice`]: elements are yielded by value (cloned).
//!
//! Like Go's `for i, v := range s`, the length is taken once when the
//! iterator is made and each element is read when it is reached, so writes
//! through other headers to elements not yet visited are seen. The iterator
//! keeps the backing array alive.

use core::fmt;
use core::iter::FusedIterator;

use crate::slice::Slice;

/// An iterator over a slice's elements, cloned. Made by [`Slice::iter`] or
/// `IntoIterator`.
///
/// Go: `for _, v := range s`.
///
/// # Examples
///
/// ```
/// use goslice::Slice;
/// let s = Slice::from(vec![1, 2, 3]);
/// let v: Vec<i32> = s.iter().rev().collect();
/// assert_eq!(v, [3, 2, 1]);
/// ```
pub struct Iter<T> {
    s: Slice<T>,
    front: usize,
    back: usize,
}

impl<T: Clone> Slice<T> {
    /// An iterator yielding clones of the elements, front to back.
    ///
    /// Go: `for _, v := range s`.
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// let s = Slice::from(vec![1, 2, 3]);
    /// assert_eq!(s.iter().sum::<i32>(), 6);
    /// for (i, v) in s.iter().enumerate() {
    ///     assert_eq!(v, s.get(i));
    /// }
    /// ```
    pub fn iter(&self) -> Iter<T> {
        Iter {
            s: self.clone(),
            front: 0,
            back: self.len(),
        }
    }
}

impl<T: Clone> Iterator for Iter<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        if self.front == self.back {
            return None;
        }
        let v = self.s.get(self.front);
        self.front += 1;
        Some(v)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.back - self.front;
        (n, Some(n))
    }
}

impl<T: Clone> DoubleEndedIterator for Iter<T> {
    fn next_back(&mut self) -> Option<T> {
        if self.front == self.back {
            return None;
        }
        self.back -= 1;
        Some(self.s.get(self.back))
    }
}

impl<T: Clone> ExactSizeIterator for Iter<T> {}

impl<T: Clone> FusedIterator for Iter<T> {}

impl<T: Clone> IntoIterator for Slice<T> {
    type Item = T;
    type IntoIter = Iter<T>;

    fn into_iter(self) -> Iter<T> {
        let back = self.len();
        Iter {
            s: self,
            front: 0,
            back,
        }
    }
}

impl<T: Clone> IntoIterator for &Slice<T> {
    type Item = T;
    type IntoIter = Iter<T>;

    fn into_iter(self) -> Iter<T> {
        self.iter()
    }
}

impl<T: Clone> Clone for Iter<T> {
    fn clone(&self) -> Self {
        Iter {
            s: self.s.clone(),
            front: self.front,
            back: self.back,
        }
    }
}

/// The elements not yet yielded, as std's `vec::IntoIter` shows them.
///
/// ```
/// use goslice::Slice;
///
/// let mut it = Slice::from(vec!['a', 'b', 'c']).into_iter();
/// it.next();
/// assert_eq!(format!("{it:?}"), "Iter(['b', 'c'])");
/// ```
impl<T: fmt::Debug> fmt::Debug for Iter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.s.with(|xs| {
            f.debug_tuple("Iter")
                .field(&&xs[self.front..self.back])
                .finish()
        })
    }
}
