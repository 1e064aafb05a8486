//! The `series` table and its in-memory map from key to id.

// Series ids and keys are looked up for every sample written; FxHash is several times
// cheaper than SipHash there, and these keys do not come from an attacker.
use rustc_hash::FxHashMap as HashMap;

use bandwatch_core::SeriesKey;
use std::path::Path;

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
        Ok(Self { ids, key_bytes })
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

    /// Bytes held: the map's table and the text of every key.
    pub(crate) fn held_bytes(&self) -> u64 {
        let table = crate::held::hash_map_bytes::<SeriesKey, i64>(self.ids.capacity());
        table + self.key_bytes
    }

    /// Number of series.
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// Adds series created by a committed transaction.
    pub(crate) fn extend(&mut self, added: HashMap<SeriesKey, i64>) {
        self.key_bytes += added.keys().map(key_heap_bytes).sum::<u64>();
        self.ids.extend(added);
    }
}

/// Series created inside an open transaction; merged into the registry only after commit.
pub(crate) struct SeriesStage<'a> {
    base: &'a SeriesRegistry,
    added: HashMap<SeriesKey, i64>,
}

impl<'a> SeriesStage<'a> {
    /// A stage over the committed registry.
    pub(crate) fn new(base: &'a SeriesRegistry) -> Self {
        Self {
            base,
            added: HashMap::default(),
        }
    }

    /// The id of `key`, inserting the series row when it is new.
    pub(crate) fn id(&mut self, conn: &Connection, key: &SeriesKey) -> rusqlite::Result<i64> {
        if let Some(id) = self.base.get(key).or_else(|| self.added.get(key).copied()) {
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
        self.added.insert(key.clone(), id);
        Ok(id)
    }

    /// The series added, for [`SeriesRegistry::extend`] after commit.
    pub(crate) fn into_added(self) -> HashMap<SeriesKey, i64> {
        self.added
    }
}
