//! `insights_count_distinct(text)`: `count_distinct` over text values, counted by their 128-bit
//! XXH3 hashes — exact unless two of the values collide in 128 bits (for a billion distinct
//! values, a chance of about 1 in 10^20), which is how ClickHouse's `uniqExact` counts strings.
//!
//! Why not DataFusion's `count(DISTINCT)`: it keeps each group's distinct *strings* in a byte
//! map, behind the adapter that turns a per-group accumulator into a grouped one (rows sorted
//! and copied per group), and merges partial results by re-inserting every string. A set of
//! 16-byte keys per group is a fraction of that work: `distinct_users` spent ~25 % of its CPU
//! in the byte maps (docs/benchmarks.md, sixth engine session). Numbers, times and booleans
//! keep DataFusion's `count(DISTINCT)`, which already stores them as fixed-size values.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, FixedSizeBinaryArray, FixedSizeBinaryBuilder, Int64Array, ListArray,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature, Volatility};
use twox_hash::XxHash3_128;

/// Bytes of one key.
const KEY_BYTES: i32 = 16;

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CountDistinctText {
    signature: Signature,
}

impl Default for CountDistinctText {
    fn default() -> Self {
        CountDistinctText { signature: Signature::exact(vec![DataType::Utf8], Volatility::Immutable) }
    }
}

impl AggregateUDFImpl for CountDistinctText {
    fn name(&self) -> &str {
        "insights_count_distinct"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }
    fn is_nullable(&self) -> bool {
        false
    }
    fn default_value(&self, _: &DataType) -> Result<ScalarValue> {
        Ok(ScalarValue::Int64(Some(0)))
    }
    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let keys = Field::new_list(format!("{}[keys]", args.name), key_field(), true);
        Ok(vec![Arc::new(keys)])
    }
    fn accumulator(&self, _: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(SingleGroup::default()))
    }
    fn groups_accumulator_supported(&self, _: AccumulatorArgs) -> bool {
        true
    }
    fn create_groups_accumulator(&self, _: AccumulatorArgs) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(Groups::default()))
    }
}

fn key_field() -> FieldRef {
    Arc::new(Field::new_list_field(DataType::FixedSizeBinary(KEY_BYTES), false))
}

#[inline]
fn key(text: &str) -> u128 {
    XxHash3_128::oneshot(text.as_bytes())
}

/// Keys are already uniformly distributed hashes: the set uses their low bits as they are.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only reached for other key types; fold the bytes in.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u128(&mut self, v: u128) {
        self.0 = v as u64;
    }
}

type KeySet = HashSet<u128, BuildHasherDefault<KeyHasher>>;

/// Calls `add(row, key)` for each non-null value of `values` that `filter` selects.
fn each_key(values: &ArrayRef, filter: Option<&BooleanArray>, mut add: impl FnMut(usize, u128)) -> Result<()> {
    let Some(texts) = values.as_string_opt::<i32>() else {
        return exec_err!("insights_count_distinct expects text, got {}", values.data_type());
    };
    for (row, text) in texts.iter().enumerate() {
        let Some(text) = text else { continue };
        if filter.is_some_and(|f| !f.is_valid(row) || !f.value(row)) {
            continue;
        }
        add(row, key(text));
    }
    Ok(())
}

/// Adds the keys of `list` (a state row) to `set`.
fn add_keys(set: &mut KeySet, list: &ArrayRef) -> Result<()> {
    let Some(keys) = list.as_any().downcast_ref::<FixedSizeBinaryArray>() else {
        return exec_err!("insights_count_distinct state: expected 16-byte keys, got {}", list.data_type());
    };
    set.reserve(keys.len());
    for bytes in keys.iter().flatten() {
        let Ok(bytes) = <[u8; 16]>::try_from(bytes) else {
            return exec_err!("insights_count_distinct state: a key is not 16 bytes");
        };
        set.insert(u128::from_le_bytes(bytes));
    }
    Ok(())
}

/// A state column as lists of keys.
fn key_lists(state: &ArrayRef) -> Result<&ListArray> {
    match state.as_list_opt::<i32>() {
        Some(lists) => Ok(lists),
        None => exec_err!("insights_count_distinct state: expected lists of keys, got {}", state.data_type()),
    }
}

/// The sets as a state column: one list of keys per set.
fn state_of(sets: &[KeySet]) -> Result<ArrayRef> {
    let total: usize = sets.iter().map(HashSet::len).sum();
    let mut keys = FixedSizeBinaryBuilder::with_capacity(total, KEY_BYTES);
    let mut lengths = Vec::with_capacity(sets.len());
    for set in sets {
        for k in set {
            keys.append_value(k.to_le_bytes())?;
        }
        lengths.push(set.len());
    }
    let list = ListArray::try_new(key_field(), OffsetBuffer::from_lengths(lengths), Arc::new(keys.finish()), None)?;
    Ok(Arc::new(list))
}

fn set_bytes(set: &KeySet) -> usize {
    set.capacity() * (size_of::<u128>() + 1)
}

/// The accumulator of a `stats` without `by`.
#[derive(Debug, Default)]
struct SingleGroup {
    set: KeySet,
}

impl Accumulator for SingleGroup {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        each_key(&values[0], None, |_, k| {
            self.set.insert(k);
        })
    }
    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Int64(Some(self.set.len() as i64)))
    }
    fn size(&self) -> usize {
        size_of_val(self) + set_bytes(&self.set)
    }
    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let state = state_of(std::slice::from_ref(&self.set))?;
        Ok(vec![ScalarValue::try_from_array(&state, 0)?])
    }
    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let lists = key_lists(&states[0])?;
        for row in 0..lists.len() {
            if lists.is_valid(row) {
                add_keys(&mut self.set, &lists.value(row))?;
            }
        }
        Ok(())
    }
}

/// The accumulator of a `stats ... by`: one set per group.
#[derive(Default)]
struct Groups {
    sets: Vec<KeySet>,
}

impl Groups {
    fn grow(&mut self, total_num_groups: usize) {
        if self.sets.len() < total_num_groups {
            self.sets.resize_with(total_num_groups, KeySet::default);
        }
    }
}

impl GroupsAccumulator for Groups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.grow(total_num_groups);
        let sets = &mut self.sets;
        each_key(&values[0], opt_filter, |row, k| {
            if let Some(set) = group_indices.get(row).and_then(|&g| sets.get_mut(g)) {
                set.insert(k);
            }
        })
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let sets = emit_to.take_needed(&mut self.sets);
        Ok(Arc::new(Int64Array::from_iter_values(sets.iter().map(|s| s.len() as i64))))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let sets = emit_to.take_needed(&mut self.sets);
        Ok(vec![state_of(&sets)?])
    }

    fn merge_batch(&mut self, values: &[ArrayRef], group_indices: &[usize], total_num_groups: usize) -> Result<()> {
        self.grow(total_num_groups);
        let lists = key_lists(&values[0])?;
        for (row, &group) in group_indices.iter().enumerate() {
            if let Some(set) = self.sets.get_mut(group)
                && lists.is_valid(row)
            {
                add_keys(set, &lists.value(row))?;
            }
        }
        Ok(())
    }

    fn convert_to_state(&self, values: &[ArrayRef], opt_filter: Option<&BooleanArray>) -> Result<Vec<ArrayRef>> {
        // Each row on its own: a set of its value's key, or an empty set.
        let mut sets: Vec<KeySet> = (0..values[0].len()).map(|_| KeySet::default()).collect();
        each_key(&values[0], opt_filter, |row, k| {
            if let Some(set) = sets.get_mut(row) {
                set.insert(k);
            }
        })?;
        Ok(vec![state_of(&sets)?])
    }

    fn size(&self) -> usize {
        self.sets.capacity() * size_of::<KeySet>() + self.sets.iter().map(set_bytes).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::StringArray;

    use super::*;

    fn texts(values: &[Option<&str>]) -> ArrayRef {
        Arc::new(StringArray::from(values.to_vec()))
    }

    fn counts(array: ArrayRef) -> Vec<i64> {
        array.as_primitive::<datafusion::arrow::datatypes::Int64Type>().values().to_vec()
    }

    #[test]
    fn groups_count_distinct_non_null_values() {
        let mut acc = Groups::default();
        let values = texts(&[Some("a"), Some("b"), Some("a"), None, Some("c"), Some("a")]);
        acc.update_batch(&[values], &[0, 0, 0, 0, 1, 1], None, 3).unwrap();
        assert_eq!(counts(acc.evaluate(EmitTo::All).unwrap()), vec![2, 2, 0]);
    }

    #[test]
    fn filter_skips_unselected_rows() {
        let mut acc = Groups::default();
        let values = texts(&[Some("a"), Some("b"), Some("c")]);
        let filter = BooleanArray::from(vec![Some(true), Some(false), None]);
        acc.update_batch(&[values], &[0, 0, 0], Some(&filter), 1).unwrap();
        assert_eq!(counts(acc.evaluate(EmitTo::All).unwrap()), vec![1]);
    }

    #[test]
    fn partial_states_merge_into_exact_counts() {
        // Two partitions saw overlapping values of the same groups.
        let mut left = Groups::default();
        left.update_batch(&[texts(&[Some("u1"), Some("u2"), Some("u9")])], &[0, 0, 1], None, 2).unwrap();
        let mut right = Groups::default();
        right.update_batch(&[texts(&[Some("u2"), Some("u3"), Some("u9")])], &[0, 0, 1], None, 2).unwrap();
        let mut last = Groups::default();
        last.merge_batch(&left.state(EmitTo::All).unwrap(), &[0, 1], 2).unwrap();
        last.merge_batch(&right.state(EmitTo::All).unwrap(), &[0, 1], 2).unwrap();
        // Rows converted straight to state (skipped partial aggregation) merge too.
        let raw = last.convert_to_state(&[texts(&[Some("u4"), None, Some("u1")])], None).unwrap();
        last.merge_batch(&raw, &[0, 0, 0], 2).unwrap();
        assert_eq!(counts(last.evaluate(EmitTo::First(1)).unwrap()), vec![4]);
        assert_eq!(counts(last.evaluate(EmitTo::All).unwrap()), vec![1]);
    }

    #[test]
    fn single_group_states_merge() {
        let mut a = SingleGroup::default();
        a.update_batch(&[texts(&[Some("x"), Some("y"), None])]).unwrap();
        let mut b = SingleGroup::default();
        b.update_batch(&[texts(&[Some("y"), Some("z")])]).unwrap();
        let state_b = b.state().unwrap()[0].to_array().unwrap();
        a.merge_batch(&[state_b]).unwrap();
        assert_eq!(a.evaluate().unwrap(), ScalarValue::Int64(Some(3)));
    }

    #[test]
    fn non_text_input_is_an_error_not_a_panic() {
        let mut acc = Groups::default();
        let numbers: ArrayRef = Arc::new(Int64Array::from(vec![1, 2]));
        assert!(acc.update_batch(&[Arc::clone(&numbers)], &[0, 0], None, 1).is_err());
        assert!(acc.merge_batch(&[Arc::clone(&numbers)], &[0, 0], 1).is_err());
        assert!(SingleGroup::default().merge_batch(&[numbers]).is_err());
    }
}
