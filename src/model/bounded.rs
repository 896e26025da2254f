//! JSON from outside is measured before it is parsed into anything: how many values it holds
//! and how deep it nests, read without keeping any of it. A parsed value takes tens of times
//! the memory of its text when it is made of many tiny objects (`{"":0}` is 6 bytes of input
//! and hundreds of bytes as a tree), so a limit on bytes alone does not bound memory.

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// How many values (objects, arrays, strings, numbers, booleans, nulls) `json` holds, refusing
/// it as soon as the count passes `max` or the nesting passes `depth_max`. Nothing but a
/// counter is allocated (strings with escapes are unescaped one at a time and dropped).
pub(crate) fn count_values(json: &[u8], max: u64, depth_max: u32) -> Result<u64, String> {
    let mut n = 0u64;
    let mut de = serde_json::Deserializer::from_slice(json);
    Counter {
        n: &mut n,
        max,
        depth: depth_max,
    }
    .deserialize(&mut de)
    .map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(n)
}

struct Counter<'a> {
    n: &'a mut u64,
    max: u64,
    depth: u32,
}

impl Counter<'_> {
    fn bump<E: de::Error>(&mut self) -> Result<(), E> {
        *self.n += 1;
        if *self.n > self.max {
            return Err(E::custom(format!("more than {} values", self.max)));
        }
        Ok(())
    }

    fn child(&mut self) -> Counter<'_> {
        Counter {
            n: &mut *self.n,
            max: self.max,
            depth: self.depth.saturating_sub(1),
        }
    }
}

impl<'de> DeserializeSeed<'de> for Counter<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

macro_rules! scalar {
    ($($name:ident: $t:ty),*) => {$(
        fn $name<E: de::Error>(mut self, _: $t) -> Result<(), E> {
            self.bump()
        }
    )*};
}

impl<'de> Visitor<'de> for Counter<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }

    scalar!(visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_f64: f64, visit_str: &str);

    fn visit_unit<E: de::Error>(mut self) -> Result<(), E> {
        self.bump()
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        self.bump()?;
        if self.depth == 0 {
            return Err(de::Error::custom("nested too deep"));
        }
        while seq.next_element_seed(self.child())?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        self.bump()?;
        if self.depth == 0 {
            return Err(de::Error::custom("nested too deep"));
        }
        while map.next_key::<IgnoredAny>()?.is_some() {
            map.next_value_seed(self.child())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_counted_and_a_bomb_is_refused_early() {
        assert_eq!(
            count_values(br#"{"a":[1,"x",{"b":null}],"c":true}"#, 100, 8),
            Ok(7)
        );
        let bomb: Vec<u8> = std::iter::once(b'[')
            .chain(b"{\"\":0},".repeat(100_000))
            .chain(b"{}]".iter().copied())
            .collect();
        assert!(count_values(&bomb, 1_000, 8).is_err());
        let deep = "[".repeat(100) + &"]".repeat(100);
        assert!(count_values(deep.as_bytes(), 1_000, 64).is_err());
        assert!(count_values(b"{} trailing", 10, 8).is_err());
    }
}
