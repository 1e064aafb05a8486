//! The `series` table and its in-memory map from key to id.

// Series ids and keys are looked up for every sample written; FxHash is several times
// cheaper than SipHash there, and these keys do not come from an attacker.
use rustc_hash::FxHashMap as HashMap;

use bandwatch_core::SeriesKey;
use std::path::Path;
use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension};

use crate::codec::{labels_from_text, labels_to_text};
use crate::error::{Op, Result, StoreError};
use crate::held::key_heap_bytes;

fn read_rows(conn: &Connection) -> rusqlite::Result<Vec<(i64, String, String)>> {
    let mut stmt = conn.prepare("SELECT id, metric, labels FROM series")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}

/// Every series of the database, loaded once at open and grown after each committed write.
#[derive(Debug, Default)]
pub(crate) struct SeriesRegistry {
    ids: HashMap<SeriesKey, i64>,
    /// Heap bytes the keys hold (names, label pairs), kept as keys are added.
    key_bytes: u64,
    /// Ids by the address of the shared key a source sends tick after tick: one integer
    /// hash instead of hashing and comparing the name and every label of ~100 samples a
    /// tick. Each entry keeps its `Arc`, so an address cannot be reused by another key while
    /// it is here; bounded by [`Self::shared_limit`].
    shared: HashMap<usize, (Arc<SeriesKey>, i64)>,
}

impl SeriesRegistry {
    /// Reads the `series` table.
    pub(crate) fn load(conn: &Connection, path: &Path) -> Result<Self> {
        let rows = read_rows(conn).map_err(|e| StoreError::db(Op::Open, path, e))?;
        let mut ids = HashMap::with_capacity_and_hasher(rows.len(), rustc_hash::FxBuildHasher);
        for (id, metric, labels) in rows {
            let labels = labels_from_text(&labels).map_err(|detail| StoreError::Corrupt {
                path: path.to_path_buf(),
                series_id: id,
                detail,
            })?;
            ids.insert(SeriesKey::new(metric, labels), id);
        }
        let key_bytes = ids.keys().map(key_heap_bytes).sum();
        Ok(Self {
            ids,
            key_bytes,
            shared: HashMap::default(),
        })
    }

    /// The id of a known series.
    pub(crate) fn get(&self, key: &SeriesKey) -> Option<i64> {
        self.ids.get(key).copied()
    }

    /// All ids.
    pub(crate) fn ids(&self) -> impl Iterator<Item = i64> + '_ {
        self.ids.values().copied()
    }

    /// All keys, sorted.
    pub(crate) fn keys(&self) -> Vec<SeriesKey> {
        let mut keys: Vec<SeriesKey> = self.ids.keys().cloned().collect();
        keys.sort();
        keys
    }

    /// The id of a known series by its shared key, when this very `Arc` was seen before.
    fn get_shared(&self, key: &Arc<SeriesKey>) -> Option<i64> {
        let (kept, id) = self.shared.get(&address(key))?;
        Arc::ptr_eq(kept, key).then_some(*id)
    }

    /// Shared keys remembered at most: sources that rebuild their keys (an interface that
    /// vanished and came back) leave stale entries, cleared when the map outgrows this.
    fn shared_limit(&self) -> usize {
        2 * self.ids.len() + 64
    }

    /// Bytes held: the maps' tables and the text of every key (shared keys are the
    /// sources' own, counted there).
    pub(crate) fn held_bytes(&self) -> u64 {
        let table = crate::held::hash_map_bytes::<SeriesKey, i64>(self.ids.capacity());
        let shared =
            crate::held::hash_map_bytes::<usize, (Arc<SeriesKey>, i64)>(self.shared.capacity());
        table + shared + self.key_bytes
    }

    /// Number of series.
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// Adds series created by a committed transaction, and the shared keys it met.
    pub(crate) fn extend(&mut self, added: Added) {
        self.key_bytes += added.keys.keys().map(key_heap_bytes).sum::<u64>();
        self.ids.extend(added.keys);
        if self.shared.len() + added.shared.len() > self.shared_limit() {
            self.shared.clear();
        }
        for (key, id) in added.shared {
            self.shared.insert(address(&key), (key, id));
        }
    }
}

/// The map key of a shared series key: its address.
fn address(key: &Arc<SeriesKey>) -> usize {
    Arc::as_ptr(key) as usize
}

/// What a committed transaction adds to the registry.
#[derive(Default)]
pub(crate) struct Added {
    keys: HashMap<SeriesKey, i64>,
    shared: Vec<(Arc<SeriesKey>, i64)>,
}

/// Series created inside an open transaction; merged into the registry only after commit.
pub(crate) struct SeriesStage<'a> {
    base: &'a SeriesRegistry,
    added: Added,
}

impl<'a> SeriesStage<'a> {
    /// A stage over the committed registry.
    pub(crate) fn new(base: &'a SeriesRegistry) -> Self {
        Self {
            base,
            added: Added::default(),
        }
    }

    /// The id of the shared `key` a sample carries: by its address when this `Arc` was met
    /// in an earlier committed write, else as [`Self::id`], remembering the `Arc`.
    pub(crate) fn id_shared(
        &mut self,
        conn: &Connection,
        key: &Arc<SeriesKey>,
    ) -> rusqlite::Result<i64> {
        if let Some(id) = self.base.get_shared(key) {
            return Ok(id);
        }
        let id = self.id(conn, key)?;
        self.added.shared.push((Arc::clone(key), id));
        Ok(id)
    }

    /// The id of `key`, inserting the series row when it is new.
    pub(crate) fn id(&mut self, conn: &Connection, key: &SeriesKey) -> rusqlite::Result<i64> {
        if let Some(id) = self
            .base
            .get(key)
            .or_else(|| self.added.keys.get(key).copied())
        {
            return Ok(id);
        }
        let labels = labels_to_text(&key.labels);
        let existing: Option<i64> = conn
            .prepare_cached("SELECT id FROM series WHERE metric = ?1 AND labels = ?2")?
            .query_row(params![key.metric, labels], |r| r.get(0))
            .optional()?;
        let id = if let Some(id) = existing {
            id
        } else {
            conn.prepare_cached("INSERT INTO series (metric, labels) VALUES (?1, ?2)")?
                .execute(params![key.metric, labels])?;
            conn.last_insert_rowid()
        };
        self.added.keys.insert(key.clone(), id);
        Ok(id)
    }

    /// The series added, for [`SeriesRegistry::extend`] after commit.
    pub(crate) fn into_added(self) -> Added {
        self.added
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE series (id INTEGER PRIMARY KEY, metric TEXT NOT NULL, labels TEXT NOT NULL)",
        )
        .unwrap();
        conn
    }

    fn commit(reg: &mut SeriesRegistry, conn: &Connection, keys: &[&Arc<SeriesKey>]) -> Vec<i64> {
        let mut stage = SeriesStage::new(reg);
        let ids = keys
            .iter()
            .map(|k| stage.id_shared(conn, k).unwrap())
            .collect();
        let added = stage.into_added();
        reg.extend(added);
        ids
    }

    #[test]
    fn a_shared_key_is_found_by_address_and_an_equal_one_by_value() {
        let conn = conn();
        let mut reg = SeriesRegistry::default();
        let eth0 = Arc::new(SeriesKey::with_label("net_rx_bytes", "iface", "eth0"));
        let [id] = commit(&mut reg, &conn, &[&eth0])[..] else {
            panic!("one id")
        };
        assert_eq!(
            reg.get_shared(&eth0),
            Some(id),
            "remembered after the commit"
        );
        let rebuilt = Arc::new((*eth0).clone());
        assert_eq!(
            reg.get_shared(&rebuilt),
            None,
            "another Arc is not found by address"
        );
        assert_eq!(
            commit(&mut reg, &conn, &[&rebuilt]),
            vec![id],
            "but by value"
        );
        assert_eq!(reg.len(), 1);
    }

    #[test]
    fn stale_shared_keys_are_bounded() {
        let conn = conn();
        let mut reg = SeriesRegistry::default();
        let key = SeriesKey::with_label("net_rx_bytes", "iface", "eth0");
        for _ in 0..1000 {
            // A source that rebuilds its key every time, the worst case.
            commit(&mut reg, &conn, &[&Arc::new(key.clone())]);
            assert!(reg.shared.len() <= reg.shared_limit());
        }
        assert_eq!(reg.len(), 1);
    }
}
